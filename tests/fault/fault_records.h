/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Self-describing file contents for the fault tests: every block and every
// record says whose it is, so any byte read back can be checked without
// knowing what happened to the file in between.
//   block (2 KiB, rw clients): client id, block index, write round, then
//     filler derived from the three (a torn or misplaced block fails).
//   record (64 B, storm files): the inode of the file that holds it and its
//     offset (a record read from or written to a wrong inode names another).
#ifndef LOCALIO_TESTS_FAULT_RECORDS_H
#define LOCALIO_TESTS_FAULT_RECORDS_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/libnfs_limits.h"

namespace localio::fault {

// A page, or what one libnfs 4.0 NFSv4 WRITE can carry (libnfs_limits.h).
inline constexpr size_t kBlockSize = harness::kMaxV4RpcWrite < 4096 ? harness::kMaxV4RpcWrite : 4096;
inline constexpr int kRecordSize = 64;
inline constexpr uint64_t kStormFileSize = 16384;

void FillBlock(uint32_t client, uint32_t block, uint64_t round, char* out);
// True when `p` is a whole, untorn block; its header values in the outputs.
bool ParseBlock(const char* p, uint32_t* client, uint32_t* block, uint64_t* round);
std::string DescribeBlock(const char* p, size_t n);

void FillRecord(uint64_t ino, uint64_t offset, char* out);
bool RecordIs(const char* p, uint64_t ino, uint64_t offset);
std::string DescribeRecord(const char* p);
// A whole storm file for inode `ino`.
std::string StormFileFor(uint64_t ino);

}  // namespace localio::fault

#endif  // LOCALIO_TESTS_FAULT_RECORDS_H
