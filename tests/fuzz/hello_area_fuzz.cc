// SPDX-License-Identifier: LGPL-3.0-or-later
// libFuzzer target for the hello file: whatever bytes a client left in it,
// the server's Confirm and Repair and a client's Open, Claim, SetNonce and
// ReadConfirmation must neither crash nor read or write out of bounds, and
// after Repair the file is whole again: its size and header the layout's,
// no lease left that no honest client wrote, and a handshake through it
// works.
//
// Input byte 0 picks the mode: even -> the rest is the whole file; odd ->
// the rest is a list of patches applied to a valid hello file (so that the
// fuzzer reaches slot states, nonces and leases behind a header that
// validates). Nonces the server is asked to confirm come from the slots
// the patches wrote and from the input itself.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "localio/clock.h"
#include "localio/hello_area.h"

namespace {

using namespace localio;

struct Scratch {
  std::string dir;
  std::string path;
  std::unique_ptr<HelloServer> server;
  std::vector<uint8_t> skeleton;  // the file as the server created it
};

void RemoveScratch();

Scratch& TheScratch() {
  static Scratch* s = [] {
    auto* sc = new Scratch;
    std::string tmpl = "/dev/shm/localio-hello-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) abort();
    sc->dir = tmpl;
    sc->path = sc->dir + "/map.hello";
    const int dirfd = open(sc->dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 ||
        !HelloServer::Create(dirfd, "map.hello", sc->path, 0600, -1, &sc->server).ok())
      abort();
    close(dirfd);
    sc->skeleton.resize(kHelloTotalSize);
    const int fd = open(sc->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || pread(fd, sc->skeleton.data(), kHelloTotalSize, 0) !=
                      static_cast<ssize_t>(kHelloTotalSize))
      abort();
    close(fd);
    atexit(RemoveScratch);
    return sc;
  }();
  return *s;
}

void RemoveScratch() {
  std::error_code ec;
  std::filesystem::remove_all(TheScratch().dir, ec);
}

InstanceId ServerInstance() {
  InstanceId id;
  id.fill(0xab);
  return id;
}

// Patches: [slot lo][slot hi][offset in slot][len][bytes...] repeated; slot
// 0xffff is the header. The last byte 0xfe shortens the file, 0xfd grows it.
void ApplyPatches(const uint8_t* data, size_t size, std::vector<uint8_t>* image) {
  size_t i = 0;
  while (i + 4 <= size) {
    const uint32_t slot = data[i] | data[i + 1] << 8;
    const uint64_t base = slot == 0xffff ? 0
                                         : sizeof(HelloHeader) +
                                               uint64_t{slot % kHelloSlots} * sizeof(HelloSlot);
    const uint64_t off = base + data[i + 2] % sizeof(HelloSlot);
    size_t len = data[i + 3] % 40;
    i += 4;
    len = std::min(len, size - i);
    for (size_t k = 0; k < len && off + k < image->size(); ++k) (*image)[off + k] = data[i + k];
    i += len;
  }
  if (size > 0 && data[size - 1] == 0xfe) image->resize(data[0] * 256);
  if (size > 0 && data[size - 1] == 0xfd) image->resize(image->size() * 2);
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& image) {
  // The same inode the server holds open (O_TRUNC, not a new file).
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) abort();
  if (!image.empty() &&
      pwrite(fd, image.data(), image.size(), 0) != static_cast<ssize_t>(image.size()))
    abort();
  close(fd);
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::vector<uint8_t> bytes(kHelloTotalSize * 4);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) abort();
  const ssize_t n = pread(fd, bytes.data(), bytes.size(), 0);
  close(fd);
  bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return bytes;
}

// The server confirmed `nonce` in the slot it names: that slot now says so.
void CheckConfirmed(const std::string& path, const Nonce& nonce) {
  const std::vector<uint8_t> bytes = ReadFile(path);
  const uint64_t at = sizeof(HelloHeader) + uint64_t{HelloNonceSlot(nonce)} * sizeof(HelloSlot);
  if (bytes.size() < at + sizeof(HelloSlot)) abort();
  HelloSlot s;
  std::memcpy(&s, bytes.data() + at, sizeof s);
  const InstanceId id = ServerInstance();
  if (std::memcmp(s.confirmed_instance, id.data(), id.size()) != 0) abort();
  if (s.confirmation != HelloConfirmation(s.state, nonce.data() + kHelloNonceKeyBytes)) abort();
  for (uint8_t b : s.nonce)
    if (b != 0) abort();  // consumed
}

// The server's side against what is in the file now.
void ServerConfirms(Scratch& s, const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = ReadFile(s.path);
  // A nonce from each slot that holds one, and from the input.
  std::vector<Nonce> nonces;
  for (uint32_t i = 0; i < kHelloSlots; ++i) {
    const uint64_t at = sizeof(HelloHeader) + uint64_t{i} * sizeof(HelloSlot) +
                        offsetof(HelloSlot, nonce);
    if (bytes.size() < at + 16) break;
    Nonce n;
    std::memcpy(n.data(), bytes.data() + at, 16);
    if (n != Nonce{}) nonces.push_back(n);
    if (nonces.size() >= 8) break;
  }
  if (size >= 17) {
    Nonce n;
    std::memcpy(n.data(), data + 1, 16);
    nonces.push_back(n);
  }
  for (const Nonce& n : nonces)
    if (s.server->Confirm(n, ServerInstance())) CheckConfirmed(s.path, n);
}

// A client's handshake through whatever is in the file now.
void ClientHandshakes(Scratch& s, bool must_work) {
  std::unique_ptr<HelloClient> c;
  if (!HelloClient::Open(s.path, geteuid(), &c).ok()) {
    if (must_work) abort();
    return;
  }
  const int claimed = c->Claim();
  if (claimed != 0) {
    if (must_work) abort();
    return;
  }
  Nonce nonce;
  nonce.fill(0x11);
  if (c->SetNonce(&nonce) != 0) abort();  // nobody else writes meanwhile
  if (HelloNonceSlot(nonce) != static_cast<uint32_t>(c->slot())) abort();
  const bool confirmed = s.server->Confirm(nonce, ServerInstance());
  InstanceId got;
  const int rc = c->ReadConfirmation(&got);
  if (rc == 1 && (!confirmed || got != ServerInstance())) abort();
  if (must_work && rc != 1) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Scratch& s = TheScratch();
  if (size == 0) return 0;
  std::vector<uint8_t> image;
  if (data[0] % 2 == 0) {
    image.assign(data + 1, data + size);
  } else {
    image = s.skeleton;
    ApplyPatches(data + 1, size - 1, &image);
  }
  WriteFile(s.path, image);

  ServerConfirms(s, data, size);
  ClientHandshakes(s, /*must_work=*/false);

  // Repaired: the layout's size and header, no implausible lease, and a
  // handshake works (every slot may be live only if the input made 256
  // plausible claims; then Claim says so and nothing else is asked).
  s.server->Repair();
  const std::vector<uint8_t> bytes = ReadFile(s.path);
  if (bytes.size() != kHelloTotalSize) abort();
  if (std::memcmp(bytes.data(), s.skeleton.data(), sizeof(HelloHeader)) != 0) abort();
  const uint64_t now = SystemClock().NowMs();
  bool all_live = true;
  for (uint32_t i = 0; i < kHelloSlots; ++i) {
    HelloSlot slot;
    std::memcpy(&slot, bytes.data() + sizeof(HelloHeader) + i * sizeof(HelloSlot), sizeof slot);
    if (HelloLeaseImplausible(slot.lease_ms, now + 1000)) abort();
    const bool live = (slot.state & 0xff) != kHelloFree &&
                      (slot.lease_ms > now || now - slot.lease_ms < kHelloLeaseMs);
    if (!live) all_live = false;
  }
  ClientHandshakes(s, /*must_work=*/!all_live);
  return 0;
}
