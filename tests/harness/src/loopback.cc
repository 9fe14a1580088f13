// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/loopback.h"

#include <fstream>
#include <string>

namespace localio::harness {

uint64_t LoopbackBytes() {
  uint64_t total = 0;
  for (const char* name : {"rx_bytes", "tx_bytes"}) {
    std::ifstream in(std::string("/sys/class/net/lo/statistics/") + name);
    uint64_t v = 0;
    in >> v;
    total += v;
  }
  return total;
}

}  // namespace localio::harness
