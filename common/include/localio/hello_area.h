/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The hello area: a small file beside the map (`<Map_Path>.hello`) that
// clients map read-write. A client claims a slot, writes a fresh nonce, asks
// the server UUID_IS_LOCAL(nonce); a server that shares this memory finds the
// nonce, writes its instance id and marks the slot confirmed. The slot also
// carries the client's counters for tools.
//
// Trust: every byte here may have been written by any client. The server
// never maps this file: it reads and writes it with pread/pwrite, so a client
// that scribbles on or truncates the file can make a handshake fail but
// cannot crash the server (no SIGBUS, no out-of-bounds read).
#ifndef LOCALIO_HELLO_AREA_H
#define LOCALIO_HELLO_AREA_H

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "localio/map_file.h"
#include "localio/defaults.h"
#include "localio/map_types.h"

namespace localio {

inline constexpr char kHelloMagic[8] = {'L', 'O', 'C', 'A', 'L', 'H', 'L', 'O'};
// 2: the server confirms in HelloSlot::confirmation, never in the state.
inline constexpr uint32_t kHelloLayoutVersion = 2;
inline constexpr uint32_t kHelloSlots = 256;
inline constexpr uint32_t kHelloFallbackReasons = 8;
// A slot whose lease is older than this may be taken by another client.
inline constexpr uint64_t kHelloLeaseMs = LOCALIO_HELLO_LEASE_MS;

// Slot states: the low 8 bits of HelloSlot::state. The high 24 bits count
// claims, so every compare-and-swap names the claim it acts on and a slow
// owner can never act on a slot someone else has since reclaimed. Only
// clients change the state, by compare-and-swap; the server (which never
// maps the file) writes its answer into `confirmation`, naming the claim
// and the nonce it confirms, and the owner of that claim moves the state
// to CONFIRMED. A confirmation that lands after the client gave up changes
// nothing but a field the next claim ignores.
enum HelloState : uint32_t {
  kHelloFree = 0,
  kHelloClaimed = 1,
  kHelloNonceSet = 2,
  kHelloConfirmed = 3,
};

struct HelloHeader {
  char magic[8];
  uint32_t layout_version;
  uint32_t header_size;   // sizeof(HelloHeader)
  uint32_t slot_count;
  uint32_t slot_size;     // sizeof(HelloSlot)
  uint64_t total_size;
  uint8_t reserved[32];
};
static_assert(sizeof(HelloHeader) == 64);

struct HelloSlot {
  uint32_t state;                   // claims << 8 | HelloState
  uint32_t client_pid;              // informational (pid namespaces differ)
  uint64_t lease_ms;                // CLOCK_MONOTONIC ms, renewed by Touch
  uint8_t nonce[16];                // all zero = none
  uint8_t confirmed_instance[16];   // the server's instance id
  uint64_t handshakes;
  uint64_t read_ops;
  uint64_t read_bytes;
  uint64_t write_ops;
  uint64_t write_bytes;
  uint64_t fallbacks[kHelloFallbackReasons];
  // HelloConfirmation(claim word, nonce) of the nonce the server confirmed.
  uint64_t confirmation;
  uint8_t reserved[96];
};
static_assert(sizeof(HelloSlot) == 256);
static_assert(offsetof(HelloSlot, nonce) == 16);
static_assert(offsetof(HelloSlot, confirmed_instance) == 32);
static_assert(offsetof(HelloSlot, confirmation) % 8 == 0);

// The server's answer for the slot state `claim_word` (its claim number;
// the state bits are ignored) holding `nonce`: the claim in the low half,
// the nonce's first 4 bytes in the high half, never 0.
inline uint64_t HelloConfirmation(uint32_t claim_word, const uint8_t* nonce) {
  uint32_t tag;
  std::memcpy(&tag, nonce, sizeof tag);
  return uint64_t{tag} << 32 | ((claim_word & ~0xffu) | kHelloConfirmed);
}

inline constexpr uint64_t kHelloTotalSize =
    sizeof(HelloHeader) + uint64_t{kHelloSlots} * sizeof(HelloSlot);

// Client side: maps the file read-write and owns at most one slot.
class HelloClient {
 public:
  // Maps `path` when it is trusted to be the server's: a regular file owned
  // by `server_uid`, not writable by others (group write is how clients of
  // the map's group write nonces), in a directory trusted_dir.h trusts for
  // that uid (else kNotTrusted, with a sentence); then checks its header
  // against the file's size.
  static Status Open(const std::string& path, uid_t server_uid,
                     std::unique_ptr<HelloClient>* out);
  ~HelloClient();  // releases the slot

  // Takes a free slot, or else one whose lease is older than
  // `stale_after_ms`, with its counters zeroed. 0, or -EBUSY when every
  // slot is live.
  int Claim(uint64_t stale_after_ms = kHelloLeaseMs);
  // Publishes a fresh `nonce` in the claimed slot for the server to confirm.
  // 0; -EINVAL without a slot or with an all-zero nonce; -ESTALE when the
  // slot was taken over (claim again).
  int SetNonce(const Nonce& nonce);
  // 1 and `*instance` set when the server confirmed the last nonce, 0 while
  // not (yet) confirmed, -ESTALE when the slot was lost, -EINVAL without one.
  int ReadConfirmation(InstanceId* instance);
  // Renews the lease; call at least every kHelloLeaseMs / 2.
  void Touch();
  // Frees the slot (no-op without one).
  void Release();

  // Counters for tools, no-ops without a slot. The slot's owner (one
  // thread at a time, as a libnfs context) is their only writer, so they
  // are relaxed load-and-store, not atomic adds.
  void CountRead(uint64_t bytes);
  void CountWrite(uint64_t bytes);
  void CountFallback(uint32_t reason);  // reason < kHelloFallbackReasons

  int slot() const { return slot_; }

 private:
  explicit HelloClient(SharedFile file) : file_(std::move(file)) {}
  HelloSlot* Slot(uint32_t i) const;
  bool Owns(uint32_t word) const { return (word >> 8) == (claim_ >> 8); }

  SharedFile file_;
  int slot_ = -1;
  uint32_t claim_ = 0;  // the state word our claim wrote
  uint64_t expected_confirmation_ = 0;  // for the nonce SetNonce published
};

// Server side: creates the file and confirms nonces through its fd only.
class HelloServer {
 public:
  // Creates (or replaces) the hello file `name` in the directory open as
  // `dirfd` (`path` names it in sentences) with `mode` and group `gid` (-1:
  // unchanged), via a temp file and rename (CreateSharedFile).
  static Status Create(int dirfd, const std::string& name, const std::string& path, mode_t mode,
                       int64_t gid, std::unique_ptr<HelloServer>* out);

  // Finds a slot in NONCE_SET holding exactly `nonce` (never all zeroes),
  // writes `instance` into it, zeroes the nonce and writes the slot's
  // confirmation (the state is the client's). True if a slot was
  // confirmed; the same nonce never confirms twice.
  bool Confirm(const Nonce& nonce, const InstanceId& instance);

 private:
  explicit HelloServer(SharedFile file) : file_(std::move(file)) {}

  std::mutex mu_;  // one confirmation at a time
  SharedFile file_;  // fd only; never mapped by the server
};

// A slot as tools see it.
struct HelloSlotView {
  uint32_t index = 0;
  HelloState state = kHelloFree;
  uint32_t claims = 0;
  uint32_t client_pid = 0;
  uint64_t lease_ms = 0;
  InstanceId confirmed_instance{};  // meaningful in kHelloConfirmed
  uint64_t handshakes = 0;
  uint64_t read_ops = 0, read_bytes = 0, write_ops = 0, write_bytes = 0;
  std::array<uint64_t, kHelloFallbackReasons> fallbacks{};
};

// Reads every non-free slot of the hello file at `path` with pread (never
// maps it), when it is trusted as HelloClient::Open trusts it (else
// kNotTrusted). Bad header -> an error naming the problem.
Status ReadHelloSlots(const std::string& path, uid_t server_uid,
                      std::vector<HelloSlotView>* out);

}  // namespace localio

#endif  // LOCALIO_HELLO_AREA_H
