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
// cannot crash the server (no SIGBUS, no out-of-bounds read). Nor can it
// make handshakes fail for long: the server's heartbeat thread repairs the
// file every beat (HelloServer::Repair: its size, its header, and leases no
// honest client wrote), and a nonce names its slot, so UUID_IS_LOCAL reads
// one slot, whatever a flood of calls asks.
//
// Who writes what, and the races that leaves (the server never writes the
// state word: only clients change it, by compare-and-swap):
// - Confirm writes a slot's nonce (zeroed), confirmed_instance and then
//   confirmation, after reading the slot in NONCE_SET with that nonce's key.
//   The slot may be released or claimed again in between: its next claim
//   has another claim number, and a new nonce another secret, so the
//   answer is ignored (HelloConfirmation).
// - Repair rewrites the header (clients read it only in Open: an Open that
//   saw the damage failed, and the client tries again later) and sets the
//   size back with ftruncate. Pages the truncation took from a client that
//   touched them meanwhile stay private zero pages in that client
//   (mapping_guard.h): its claim or nonce there is never seen by the server,
//   so its handshake fails and is retried with a fresh mapping. The slots
//   come back zeroed: free, claim number 0. A client whose claim was lost
//   that way may share a claim number with a new one; each still accepts
//   only the answer to its own nonce.
// - Repair expires an implausible lease (HelloLeaseImplausible): it reads
//   the slot's state word and lease again just before it writes 0 over the
//   lease, and writes nothing if either changed. A claim whose compare-and-
//   swap and lease store both land in between keeps an expired lease until
//   its next Touch; only when no slot is free can another client take the
//   slot over (Claim), and the owner then sees -ESTALE and handshakes again.
// - Pwrites past a truncated end extend the file sparsely; the next Repair
//   sets its size back.
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
// 3: a nonce names its slot (HelloNonceSlot).
// 4: a slot counts per export too (HelloSlot::exports), 512 bytes.
inline constexpr uint32_t kHelloLayoutVersion = 4;
inline constexpr uint32_t kHelloSlots = 256;
inline constexpr uint32_t kHelloFallbackReasons = 8;
// The reasons a client counts in its slot (HelloSlot::fallbacks), by index:
// the C API's LOCALIO_FALLBACK_* and localio_fallback_reason_name.
inline constexpr const char* kHelloFallbackReasonNames[kHelloFallbackReasons] = {
    "not_local", "not_in_map", "open", "identity",
    "credentials", "read_only", "server_changed", "unsupported"};
// A slot whose lease is older than this may be taken by another client.
inline constexpr uint64_t kHelloLeaseMs = LOCALIO_HELLO_LEASE_MS;

// A lease no honest client wrote: every process on the host reads the same
// CLOCK_MONOTONIC, and a client writes its own now, so a lease more than a
// lease period ahead of anyone's now was scribbled (or claimed "forever").
// Clients take such a slot as stale; the server expires its lease.
inline bool HelloLeaseImplausible(uint64_t lease_ms, uint64_t now_ms) {
  return lease_ms > now_ms + kHelloLeaseMs;
}

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

// One export's bypassed I/O in a slot: the first kHelloExportRows exports
// a client reads or writes through the bypass get a row each, in that order
// (a client mounts one export, or a few); a further export's I/O is counted
// in the slot's totals only. A row is in use once export_id_plus1 is set
// (export id + 1: 0 is a free row).
struct HelloExportCounters {
  uint32_t export_id_plus1;
  uint32_t reserved;
  uint64_t read_ops;
  uint64_t read_bytes;
  uint64_t write_ops;
  uint64_t write_bytes;
};
static_assert(sizeof(HelloExportCounters) == 40);
inline constexpr uint32_t kHelloExportRows = 8;

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
  HelloExportCounters exports[kHelloExportRows];  // the same I/O, by export
  uint8_t reserved[32];
};
static_assert(sizeof(HelloSlot) == 512);
static_assert(offsetof(HelloSlot, lease_ms) == 8);
static_assert(offsetof(HelloSlot, nonce) == 16);
static_assert(offsetof(HelloSlot, confirmed_instance) == 32);
static_assert(offsetof(HelloSlot, confirmation) % 8 == 0);

// A nonce's first kHelloNonceSlotBytes name the slot it was written to
// (big-endian); the rest is random. The server reads only that slot for
// UUID_IS_LOCAL; the wire form stays one 16-byte opaque.
inline constexpr size_t kHelloNonceSlotBytes = 2;
inline uint32_t HelloNonceSlot(const Nonce& nonce) {
  return uint32_t{nonce[0]} << 8 | nonce[1];
}
static_assert(kHelloSlots <= 0x10000, "a slot index fits in kHelloNonceSlotBytes");

// Only a nonce's first kHelloNonceKeyBytes go into the slot (the index and
// 48 random bits: the key the server matches); its last kHelloNonceSecretBytes
// (64 random bits) never touch the shared file. They reach the server only
// in the UUID_IS_LOCAL call, on the connection whose far end the client
// proved to be the server's uid's, and the server's answer is made of them.
// So a neighbour who may write the hello file (any client of the map's
// group) cannot forge the answer to someone else's handshake: it never saw
// the secret. (At worst it sends the key with a wrong secret first, and that
// handshake fails and is tried again.)
inline constexpr size_t kHelloNonceKeyBytes = 8;
inline constexpr size_t kHelloNonceSecretBytes = 8;
static_assert(kHelloNonceKeyBytes + kHelloNonceSecretBytes == sizeof(Nonce));

// The server's answer for the slot state `claim_word` (its claim number;
// the state bits are ignored) to a nonce whose secret half is `secret`
// (kHelloNonceSecretBytes): the two mixed, so it names both this claim and
// this nonce. 0 means "no answer": a client never publishes a nonce whose
// answer would be 0 (HelloClient::SetNonce).
inline uint64_t HelloConfirmation(uint32_t claim_word, const uint8_t* secret) {
  uint64_t bits;
  std::memcpy(&bits, secret, sizeof bits);
  return bits ^ ((claim_word & ~0xffu) | kHelloConfirmed);
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
  // `stale_after_ms` or implausible (HelloLeaseImplausible), with its
  // counters zeroed. 0, or -EBUSY when every slot is live.
  int Claim(uint64_t stale_after_ms = kHelloLeaseMs);
  // Names the claimed slot in `*nonce` (its first kHelloNonceSlotBytes; the
  // caller filled the rest with random bytes; a secret whose answer would
  // be 0 gets one bit flipped) and publishes its key (kHelloNonceKeyBytes,
  // never the secret) there for the server to confirm. 0; -EINVAL without a
  // slot or with an all-zero key; -ESTALE when the slot was taken over
  // (claim again).
  int SetNonce(Nonce* nonce);
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
  // One bypassed read or write of `bytes` on export `export_id`: in the
  // slot's totals and in that export's row.
  void CountRead(uint16_t export_id, uint64_t bytes);
  void CountWrite(uint16_t export_id, uint64_t bytes);
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

  // Reads the one slot `nonce` names (HelloNonceSlot; none past the last);
  // when it is in NONCE_SET holding exactly `nonce`'s key (never all
  // zeroes, and no secret), writes `instance` into it, zeroes the nonce and
  // writes the answer to `nonce`'s secret (HelloConfirmation; the state is
  // the client's). True if it was confirmed; a nonce never confirms twice.
  bool Confirm(const Nonce& nonce, const InstanceId& instance);

  // Puts right what a client may have damaged, in place: the file's size
  // (ftruncate back to kHelloTotalSize), its header (rewritten), and leases
  // no honest client wrote (HelloLeaseImplausible: set to 0, expired). What
  // it did, as a phrase for a log line ("" when nothing was wrong). The
  // heartbeat thread calls it every beat.
  std::string Repair();

 private:
  explicit HelloServer(SharedFile file) : file_(std::move(file)) {}

  std::mutex mu_;  // one confirmation or repair at a time
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
  struct Export {
    uint16_t export_id = 0;
    uint64_t read_ops = 0, read_bytes = 0, write_ops = 0, write_bytes = 0;
  };
  std::vector<Export> exports;  // the rows in use, in the slot's order
};

// Reads every non-free slot of the hello file at `path` with pread (never
// maps it), when it is trusted as HelloClient::Open trusts it (else
// kNotTrusted). Bad header -> an error naming the problem.
Status ReadHelloSlots(const std::string& path, uid_t server_uid,
                      std::vector<HelloSlotView>* out);

}  // namespace localio

#endif  // LOCALIO_HELLO_AREA_H
