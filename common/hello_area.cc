// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/hello_area.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "localio/clock.h"
#include "localio/map_atomic.h"

namespace localio {

namespace {

constexpr uint32_t StateOf(uint32_t word) { return word & 0xff; }
constexpr uint32_t Word(uint32_t claims, HelloState s) { return claims << 8 | s; }

bool IsZero(const uint8_t* p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc |= p[i];
  return acc == 0;
}

// The header the server writes, and Repair puts back.
HelloHeader ExpectedHeader() {
  HelloHeader h = {};
  std::memcpy(h.magic, kHelloMagic, sizeof h.magic);
  h.layout_version = kHelloLayoutVersion;
  h.header_size = sizeof(HelloHeader);
  h.slot_count = kHelloSlots;
  h.slot_size = sizeof(HelloSlot);
  h.total_size = kHelloTotalSize;
  return h;
}

off_t SlotOffset(uint32_t i) {
  return static_cast<off_t>(sizeof(HelloHeader) + uint64_t{i} * sizeof(HelloSlot));
}

Status CheckHeader(const HelloHeader& h, uint64_t file_size, const std::string& path) {
  if (std::memcmp(h.magic, kHelloMagic, sizeof h.magic) != 0)
    return Status::Error(-EPROTO, path + " is not a LOCALIO hello file (bad magic)");
  if (h.layout_version != kHelloLayoutVersion)
    return Status::Error(-EPROTO, path + ": hello layout version " +
                                         std::to_string(h.layout_version) + ", expected " +
                                         std::to_string(kHelloLayoutVersion));
  if (h.header_size != sizeof(HelloHeader) || h.slot_size != sizeof(HelloSlot) ||
      h.slot_count != kHelloSlots || h.total_size != kHelloTotalSize)
    return Status::Error(-EPROTO, path + ": hello header sizes do not match this layout");
  if (file_size < kHelloTotalSize)
    return Status::Error(-EPROTO, path + ": file is shorter than its header claims");
  return Status::Ok();
}

// A new claim starts its counters at zero: tools must not credit one
// client with what the slot's previous owner did.
void ResetCounters(HelloSlot* s) {
  SharedStore(&s->handshakes, uint64_t{0});
  SharedStore(&s->read_ops, uint64_t{0});
  SharedStore(&s->read_bytes, uint64_t{0});
  SharedStore(&s->write_ops, uint64_t{0});
  SharedStore(&s->write_bytes, uint64_t{0});
  for (uint64_t& reason : s->fallbacks) SharedStore(&reason, uint64_t{0});
  for (HelloExportCounters& row : s->exports) {
    SharedStore(&row.export_id_plus1, uint32_t{0});
    for (uint64_t* c : {&row.read_ops, &row.read_bytes, &row.write_ops, &row.write_bytes})
      SharedStore(c, uint64_t{0});
  }
}

SharedFileTrust HelloTrust(uid_t server_uid) {
  return {ServerUidOwner(server_uid), "hello file", LOCALIO_HELLO_FORBIDDEN_WRITE};
}

}  // namespace

// ---- client ----

Status HelloClient::Open(const std::string& path, uid_t server_uid,
                         std::unique_ptr<HelloClient>* out) {
  SharedFile file;
  const SharedFileTrust trust = HelloTrust(server_uid);
  Status st = OpenSharedFile(path, /*writable=*/true, &trust, &file);
  if (!st.ok()) return st;
  if (file.size() < sizeof(HelloHeader))
    return Status::Error(-EPROTO, path + ": file is shorter than a hello header");
  HelloHeader h;
  SharedCopyOut(&h, file.base(), sizeof h / 8);
  st = CheckHeader(h, file.size(), path);
  if (!st.ok()) return st;
  out->reset(new HelloClient(std::move(file)));
  return Status::Ok();
}

HelloClient::~HelloClient() { Release(); }

HelloSlot* HelloClient::Slot(uint32_t i) const {
  return reinterpret_cast<HelloSlot*>(file_.base() + sizeof(HelloHeader)) + i;
}

int HelloClient::Claim(uint64_t stale_after_ms) {
  Release();
  const uint64_t now = SystemClock().NowMs();
  // Free slots first; a stale one only when none is free.
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t i = 0; i < kHelloSlots; ++i) {
      HelloSlot* s = Slot(i);
      uint32_t word = SharedLoadAcquire(&s->state);
      if (pass == 0 && StateOf(word) != kHelloFree) continue;
      if (pass == 1) {
        const uint64_t lease = SharedLoad(&s->lease_ms);
        // A lease from the near future belongs to a client that just
        // claimed; one further ahead was never written by an honest client.
        if (!HelloLeaseImplausible(lease, now) && (lease > now || now - lease < stale_after_ms))
          continue;
      }
      const uint32_t mine = Word((word >> 8) + 1, kHelloClaimed);
      if (!__atomic_compare_exchange_n(&s->state, &word, mine, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED))
        continue;
      SharedStore(&s->lease_ms, now);
      SharedStore(&s->client_pid, static_cast<uint32_t>(getpid()));
      ResetCounters(s);
      slot_ = static_cast<int>(i);
      claim_ = mine;
      return 0;
    }
  }
  return -EBUSY;
}

int HelloClient::SetNonce(Nonce* named) {
  if (slot_ < 0) return -EINVAL;
  (*named)[0] = static_cast<uint8_t>(slot_ >> 8);
  (*named)[1] = static_cast<uint8_t>(slot_);
  uint8_t* const secret = named->data() + kHelloNonceKeyBytes;
  if (HelloConfirmation(claim_, secret) == 0) secret[0] ^= 1;
  const Nonce& nonce = *named;
  if (IsZero(nonce.data(), kHelloNonceKeyBytes)) return -EINVAL;
  HelloSlot* s = Slot(static_cast<uint32_t>(slot_));
  // Back to CLAIMED while the nonce changes, so the server never matches a
  // half-written one; then NONCE_SET.
  uint32_t word = SharedLoadAcquire(&s->state);
  if (!Owns(word)) return -ESTALE;
  const uint32_t claimed = Word(claim_ >> 8, kHelloClaimed);
  if (!__atomic_compare_exchange_n(&s->state, &word, claimed, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_RELAXED))
    return -ESTALE;
  // The key only; the rest of the nonce field and the instance id zeroed.
  uint64_t words[4] = {};
  std::memcpy(words, nonce.data(), kHelloNonceKeyBytes);
  SharedStore(&s->confirmation, uint64_t{0});
  SharedCopyIn(s->nonce, words, 2);
  SharedCopyIn(s->confirmed_instance, words + 2, 2);
  expected_confirmation_ = HelloConfirmation(claim_, secret);
  __atomic_fetch_add(&s->handshakes, 1, __ATOMIC_RELAXED);
  SharedStore(&s->lease_ms, SystemClock().NowMs());
  uint32_t expected = claimed;
  const uint32_t set = Word(claim_ >> 8, kHelloNonceSet);
  if (!__atomic_compare_exchange_n(&s->state, &expected, set, false, __ATOMIC_RELEASE,
                                   __ATOMIC_RELAXED))
    return -ESTALE;
  return 0;
}

int HelloClient::ReadConfirmation(InstanceId* instance) {
  if (slot_ < 0) return -EINVAL;
  HelloSlot* s = Slot(static_cast<uint32_t>(slot_));
  uint32_t word = SharedLoadAcquire(&s->state);
  if (!Owns(word)) return -ESTALE;
  if (StateOf(word) == kHelloNonceSet) {
    // The server's answer names this claim and this nonce, or it is not ours.
    if (SharedLoadAcquire(&s->confirmation) != expected_confirmation_) return 0;
    uint32_t confirmed = Word(claim_ >> 8, kHelloConfirmed);
    if (!__atomic_compare_exchange_n(&s->state, &word, confirmed, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
      return -ESTALE;
    word = confirmed;
  }
  if (StateOf(word) != kHelloConfirmed) return 0;
  uint64_t words[2];
  SharedCopyOut(words, s->confirmed_instance, 2);
  std::memcpy(instance->data(), words, 16);
  // The instance id must belong to this same confirmation.
  if (SharedLoadAcquire(&s->state) != word ||
      SharedLoadAcquire(&s->confirmation) != expected_confirmation_)
    return -ESTALE;
  return 1;
}

void HelloClient::Touch() {
  if (slot_ >= 0) SharedStore(&Slot(static_cast<uint32_t>(slot_))->lease_ms, SystemClock().NowMs());
}

void HelloClient::Release() {
  if (slot_ < 0) return;
  HelloSlot* s = Slot(static_cast<uint32_t>(slot_));
  uint32_t word = SharedLoadAcquire(&s->state);
  while (Owns(word) && !__atomic_compare_exchange_n(&s->state, &word,
                                                    Word(claim_ >> 8, kHelloFree), false,
                                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
  }
  slot_ = -1;
  claim_ = 0;
}

namespace {

// The slot's owner is its counters' only writer: a plain load and store
// (no locked instruction on the I/O path); readers see whole words.
void Bump(uint64_t* counter, uint64_t by) {
  __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + by, __ATOMIC_RELAXED);
}

// The row of `export_id` in slot `s`, taking the first free one the first
// time; nullptr once every row is another export's. Rows are claimed in
// order and never given back while the claim lasts, so the first free row
// ends the search.
HelloExportCounters* ExportRow(HelloSlot* s, uint16_t export_id) {
  const uint32_t key = uint32_t{export_id} + 1;
  for (HelloExportCounters& row : s->exports) {
    const uint32_t held = __atomic_load_n(&row.export_id_plus1, __ATOMIC_RELAXED);
    if (held == key) return &row;
    if (held == 0) {
      __atomic_store_n(&row.export_id_plus1, key, __ATOMIC_RELAXED);
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

void HelloClient::CountRead(uint16_t export_id, uint64_t bytes) {
  if (slot_ < 0) return;
  HelloSlot* s = Slot(static_cast<uint32_t>(slot_));
  Bump(&s->read_ops, 1);
  Bump(&s->read_bytes, bytes);
  if (HelloExportCounters* row = ExportRow(s, export_id)) {
    Bump(&row->read_ops, 1);
    Bump(&row->read_bytes, bytes);
  }
}

void HelloClient::CountWrite(uint16_t export_id, uint64_t bytes) {
  if (slot_ < 0) return;
  HelloSlot* s = Slot(static_cast<uint32_t>(slot_));
  Bump(&s->write_ops, 1);
  Bump(&s->write_bytes, bytes);
  if (HelloExportCounters* row = ExportRow(s, export_id)) {
    Bump(&row->write_ops, 1);
    Bump(&row->write_bytes, bytes);
  }
}

void HelloClient::CountFallback(uint32_t reason) {
  if (slot_ < 0 || reason >= kHelloFallbackReasons) return;
  __atomic_fetch_add(&Slot(static_cast<uint32_t>(slot_))->fallbacks[reason], 1,
                     __ATOMIC_RELAXED);
}

// ---- server ----

Status HelloServer::Create(int dirfd, const std::string& name, const std::string& path,
                           mode_t mode, int64_t gid, std::unique_ptr<HelloServer>* out) {
  SharedFile file;
  Status st = CreateSharedFile(dirfd, name, path, kHelloTotalSize, mode, gid,
                                  [](uint8_t* base) {
                                    const HelloHeader h = ExpectedHeader();
                                    std::memcpy(base, &h, sizeof h);
                                  },
                                  &file);
  if (!st.ok()) return st;
  file.Unmap();  // from here on only pread/pwrite: clients may truncate it
  out->reset(new HelloServer(std::move(file)));
  return Status::Ok();
}

bool HelloServer::Confirm(const Nonce& nonce, const InstanceId& instance) {
  if (IsZero(nonce.data(), kHelloNonceKeyBytes)) return false;
  const uint32_t index = HelloNonceSlot(nonce);
  if (index >= kHelloSlots) return false;
  std::lock_guard<std::mutex> lock(mu_);
  // The state word, pid, lease and nonce: all this call reads.
  struct {
    uint32_t state;
    uint32_t client_pid;
    uint64_t lease_ms;
    uint8_t nonce[16];
  } head;
  static_assert(sizeof head == offsetof(HelloSlot, confirmed_instance));
  const off_t at = SlotOffset(index);
  // A client may have shortened the file: only a whole head counts.
  if (pread(file_.fd(), &head, sizeof head, at) != static_cast<ssize_t>(sizeof head))
    return false;
  if (StateOf(head.state) != kHelloNonceSet) return false;
  // The key as the client published it, and nothing where the secret
  // would be: an honest client never writes it.
  static constexpr uint8_t kNoSecret[kHelloNonceSecretBytes] = {};
  if (std::memcmp(head.nonce, nonce.data(), kHelloNonceKeyBytes) != 0 ||
      std::memcmp(head.nonce + kHelloNonceKeyBytes, kNoSecret, sizeof kNoSecret) != 0)
    return false;
  uint8_t proof[32] = {};  // zeroed nonce, then the instance id
  std::memcpy(proof + 16, instance.data(), 16);
  if (pwrite(file_.fd(), proof, sizeof proof, at + offsetof(HelloSlot, nonce)) !=
      static_cast<ssize_t>(sizeof proof))
    return false;
  // After the instance id (pwrites reach the page in order): the claim
  // and nonce this answers. If the client released or lost the slot
  // meanwhile, the next claim's number differs and it ignores this.
  const uint64_t confirmation =
      HelloConfirmation(head.state, nonce.data() + kHelloNonceKeyBytes);
  return pwrite(file_.fd(), &confirmation, sizeof confirmation,
                at + offsetof(HelloSlot, confirmation)) ==
         static_cast<ssize_t>(sizeof confirmation);
}

std::string HelloServer::Repair() {
  std::lock_guard<std::mutex> lock(mu_);
  const int fd = file_.fd();
  std::string done;
  const auto note = [&done](const std::string& what) {
    done += (done.empty() ? "" : "; ") + what;
  };
  struct stat st;
  if (fstat(fd, &st) != 0) return "cannot stat it: " + std::string(std::strerror(errno));
  if (static_cast<uint64_t>(st.st_size) != kHelloTotalSize) {
    if (ftruncate(fd, static_cast<off_t>(kHelloTotalSize)) == 0)
      note("size " + std::to_string(st.st_size) + " set back to " +
           std::to_string(kHelloTotalSize));
    else
      note("cannot set its size back: " + std::string(std::strerror(errno)));
  }
  const HelloHeader want = ExpectedHeader();
  HelloHeader got;
  if (pread(fd, &got, sizeof got, 0) != static_cast<ssize_t>(sizeof got) ||
      std::memcmp(&got, &want, sizeof got) != 0) {
    if (pwrite(fd, &want, sizeof want, 0) == static_cast<ssize_t>(sizeof want))
      note("header rewritten");
    else
      note("cannot rewrite its header: " + std::string(std::strerror(errno)));
  }
  std::vector<HelloSlot> slots(kHelloSlots);
  const ssize_t got_slots =
      pread(fd, slots.data(), slots.size() * sizeof(HelloSlot), SlotOffset(0));
  const size_t n = got_slots > 0 ? static_cast<size_t>(got_slots) / sizeof(HelloSlot) : 0;
  const uint64_t now = SystemClock().NowMs();
  uint32_t expired = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (!HelloLeaseImplausible(slots[i].lease_ms, now)) continue;
    // Again just before writing, so that a claim since (a new state word
    // and soon its own lease) keeps its lease; see the races above.
    struct {
      uint32_t state;
      uint32_t client_pid;
      uint64_t lease_ms;
    } again;
    if (pread(fd, &again, sizeof again, SlotOffset(i)) != static_cast<ssize_t>(sizeof again) ||
        again.state != slots[i].state || again.lease_ms != slots[i].lease_ms)
      continue;
    const uint64_t zero = 0;
    if (pwrite(fd, &zero, sizeof zero, SlotOffset(i) + offsetof(HelloSlot, lease_ms)) ==
        static_cast<ssize_t>(sizeof zero))
      ++expired;
  }
  if (expired > 0) note(std::to_string(expired) + " implausible lease(s) expired");
  return done;
}

// ---- tools ----

Status ReadHelloSlots(const std::string& path, uid_t server_uid,
                      std::vector<HelloSlotView>* out) {
  SharedFile file;
  const SharedFileTrust trust = HelloTrust(server_uid);
  Status st = OpenSharedFile(path, /*writable=*/false, &trust, &file);
  if (!st.ok()) return st;
  file.Unmap();
  std::vector<uint8_t> bytes(kHelloTotalSize);
  ssize_t got = pread(file.fd(), bytes.data(), bytes.size(), 0);
  if (got < 0) return Status::Error(-errno, "cannot read " + path + ": " + std::strerror(errno));
  if (static_cast<size_t>(got) < sizeof(HelloHeader))
    return Status::Error(-EPROTO, path + ": file is shorter than a hello header");
  HelloHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  st = CheckHeader(h, static_cast<uint64_t>(got), path);
  if (!st.ok()) return st;
  out->clear();
  for (uint32_t i = 0; i < kHelloSlots; ++i) {
    HelloSlot s;
    std::memcpy(&s, bytes.data() + sizeof(HelloHeader) + i * sizeof(HelloSlot), sizeof s);
    if (StateOf(s.state) == kHelloFree || StateOf(s.state) > kHelloConfirmed) continue;
    HelloSlotView v;
    v.index = i;
    v.state = static_cast<HelloState>(StateOf(s.state));
    v.claims = s.state >> 8;
    v.client_pid = s.client_pid;
    v.lease_ms = s.lease_ms;
    std::memcpy(v.confirmed_instance.data(), s.confirmed_instance, sizeof s.confirmed_instance);
    v.handshakes = s.handshakes;
    v.read_ops = s.read_ops;
    v.read_bytes = s.read_bytes;
    v.write_ops = s.write_ops;
    v.write_bytes = s.write_bytes;
    for (uint32_t r = 0; r < kHelloFallbackReasons; ++r) v.fallbacks[r] = s.fallbacks[r];
    for (const HelloExportCounters& row : s.exports) {
      if (row.export_id_plus1 == 0) break;
      // Scribbled: no export has that id, or the slot's owner already has a
      // row for it (it takes one per export).
      if (row.export_id_plus1 > 0x10000) continue;
      const auto id = static_cast<uint16_t>(row.export_id_plus1 - 1);
      if (std::any_of(v.exports.begin(), v.exports.end(),
                      [id](const HelloSlotView::Export& e) { return e.export_id == id; }))
        continue;
      v.exports.push_back({id, row.read_ops, row.read_bytes, row.write_ops, row.write_bytes});
    }
    out->push_back(v);
  }
  return Status::Ok();
}

}  // namespace localio
