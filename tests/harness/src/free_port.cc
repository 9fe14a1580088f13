// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace localio::harness {

namespace {

// The first port of the kernel's ephemeral range (32768 when unreadable).
uint16_t EphemeralFloor() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (!(in >> low >> high) || low < 2048 || low > 65535) return 32768;
  return static_cast<uint16_t>(low);
}

bool Bindable(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

uint16_t FindFreePort() {
  const uint16_t ceiling = EphemeralFloor();
  const uint16_t floor = ceiling > 12000 ? 10000 : 1024;
  std::random_device seed;
  std::mt19937 rng(seed());
  std::uniform_int_distribution<unsigned> pick(floor, ceiling - 1u);
  for (int tries = 0; tries < 200; ++tries) {
    const auto port = static_cast<uint16_t>(pick(rng));
    if (Bindable(port)) return port;
  }
  return 0;
}

}  // namespace localio::harness
