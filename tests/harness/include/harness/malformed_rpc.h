/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Garbage for an ONC RPC listener over TCP: the record kinds the fault and
// integration tests throw at the LOCALIO port to prove that no malformed
// record stops it (or ganesha.nfsd) from serving the next caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace localio::harness {

// A TCP connection to 127.0.0.1:`port` whose sends and receives time out
// after `io_timeout`. With `reset_on_close`, close() sends a reset instead
// of leaving a TIME_WAIT pair behind (thousands of quick connections would
// otherwise exhaust and stall port reuse). -1 with errno set on failure.
int ConnectLoopback(uint16_t port, std::chrono::milliseconds io_timeout, bool reset_on_close);

// A CALL record (AUTH_NONE) of (prog, vers, proc) with `args` appended
// as they are, without record marking.
std::vector<uint8_t> RpcCallRecord(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
                                   const std::vector<uint8_t>& args);

// `record` with TCP record marking: one last fragment.
std::vector<uint8_t> FramedRecord(const std::vector<uint8_t>& record);

// What is wrong with a malformed message. Tests pick kinds by number
// (i % N), so the order is fixed: append new kinds at the end.
enum class MalformedKind : int {
  kNoise = 0,          // 1..512 random bytes
  kHugeFragment,       // a fragment header announcing ~2 GiB (last or not), a little after it
  kStreamEndsInRecord, // a framed LOCALIO NULL call cut anywhere before its end
  kCutCallHeader,      // a complete record holding a truncated call header
  kOtherProgram,       // a well-formed NFSv3 NULL call (the listener answers PROG_UNAVAIL)
  kWrongSizeNonce,     // UUID_IS_LOCAL with 0..63 argument bytes, never the nonce size
                       // (the listener answers GARBAGE_ARGS)
  kBadHeaderField,     // an unknown procedure with its message type or RPC version flipped
  kEmptyFragments,     // 1..200 empty non-last fragments, then nothing
};
inline constexpr int kMalformedKinds = 8;

// One malformed message of `kind`, random (from `rng`) where it can be.
std::vector<uint8_t> MalformedMessage(MalformedKind kind, std::mt19937& rng);

}  // namespace localio::harness
