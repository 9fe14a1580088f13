// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-hello-vandal: a hostile client of the map's group damaging the
// hello file, run by the fault tests as another uid (setpriv).
//
//   localio-hello-vandal HELLO_PATH MODE
//   MODE header-random  random bytes over the header
//        header-zero    zeroes over the header
//        truncate       the file cut to 0 bytes
//        leases-forever every slot claimed, its lease 2^63 ms ("mine forever")
// Exit: 0 done, 1 the file could not be written, 2 usage.
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "localio/hello_area.h"

namespace {

bool WriteAt(int fd, const void* data, size_t n, off_t at) {
  return pwrite(fd, data, n, at) == static_cast<ssize_t>(n);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace localio;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s HELLO_PATH header-random|header-zero|truncate|leases-forever\n",
                 argv[0]);
    return 2;
  }
  const std::string mode = argv[2];
  const int fd = open(argv[1], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  bool ok = true;
  if (mode == "header-random" || mode == "header-zero") {
    uint8_t header[sizeof(HelloHeader)] = {};
    if (mode == "header-random" && getrandom(header, sizeof header, 0) != sizeof header) ok = false;
    ok = ok && WriteAt(fd, header, sizeof header, 0);
  } else if (mode == "truncate") {
    ok = ftruncate(fd, 0) == 0;
  } else if (mode == "leases-forever") {
    for (uint32_t i = 0; i < kHelloSlots && ok; ++i) {
      const off_t at = static_cast<off_t>(sizeof(HelloHeader) + uint64_t{i} * sizeof(HelloSlot));
      const uint32_t state = 0x7777u << 8 | kHelloClaimed;
      const uint64_t lease = uint64_t{1} << 63;
      ok = WriteAt(fd, &lease, sizeof lease, at + offsetof(HelloSlot, lease_ms)) &&
           WriteAt(fd, &state, sizeof state, at + offsetof(HelloSlot, state));
    }
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  if (!ok) std::perror(argv[1]);
  close(fd);
  return ok ? 0 : 1;
}
