// SPDX-License-Identifier: LGPL-3.0-or-later
#include "fault_records.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace localio::fault {

namespace {

constexpr int kBlockHeader = 48;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void FillBlock(uint32_t client, uint32_t block, uint64_t round, char* out) {
  std::memset(out, ' ', kBlockHeader);
  const int n = std::snprintf(out, kBlockHeader, "C%08x B%08x R%016" PRIx64, client, block, round);
  out[n] = ' ';
  out[kBlockHeader - 1] = '\n';
  uint64_t seed = Mix(uint64_t{client} << 32 ^ block) ^ Mix(round);
  for (size_t i = kBlockHeader; i < kBlockSize; i += 8) {
    seed = Mix(seed);
    std::memcpy(out + i, &seed, 8);
  }
}

bool ParseBlock(const char* p, uint32_t* client, uint32_t* block, uint64_t* round) {
  char head[kBlockHeader + 1];
  std::memcpy(head, p, kBlockHeader);
  head[kBlockHeader] = '\0';
  if (std::sscanf(head, "C%08x B%08x R%016" SCNx64, client, block, round) != 3) return false;
  char want[kBlockSize];
  FillBlock(*client, *block, *round, want);
  return std::memcmp(want, p, kBlockSize) == 0;
}

std::string DescribeBlock(const char* p, size_t n) {
  if (n < kBlockSize) return std::to_string(n) + " bytes (short)";
  uint32_t c, b;
  uint64_t r;
  if (!ParseBlock(p, &c, &b, &r)) return "a torn or foreign block";
  return "client " + std::to_string(c) + " block " + std::to_string(b) + " round " +
         std::to_string(r);
}

void FillRecord(uint64_t ino, uint64_t offset, char* out) {
  std::memset(out, '.', kRecordSize);
  const int n = std::snprintf(out, kRecordSize, "ino=%016" PRIx64 " off=%016" PRIx64, ino, offset);
  out[n] = ' ';
  out[kRecordSize - 1] = '\n';
}

bool RecordIs(const char* p, uint64_t ino, uint64_t offset) {
  char want[kRecordSize];
  FillRecord(ino, offset, want);
  return std::memcmp(want, p, kRecordSize) == 0;
}

std::string DescribeRecord(const char* p) {
  return std::string(p, strnlen(p, 42));
}

std::string StormFileFor(uint64_t ino) {
  std::string s(kStormFileSize, '\0');
  for (uint64_t off = 0; off < kStormFileSize; off += kRecordSize) FillRecord(ino, off, &s[off]);
  return s;
}

}  // namespace localio::fault
