// SPDX-License-Identifier: LGPL-3.0-or-later
#include "map_test_util.h"

namespace localio::test {

harness::TempDir MapTempDir() { return harness::TempDir("localio-test", "/dev/shm"); }

std::vector<uint8_t> HandleFor(uint64_t n, size_t len) {
  std::vector<uint8_t> h(len);
  for (size_t i = 0; i < len; ++i) h[i] = static_cast<uint8_t>((n >> (8 * (i % 8))) ^ (i * 31));
  return h;
}

std::string PathFor(uint64_t n, uint64_t version) {
  return "dir" + std::to_string(n % 7) + "/v" + std::to_string(version) + "/file-" +
         std::to_string(n);
}

MapConfig ConfigIn(const harness::TempDir& dir, uint64_t max_entries) {
  MapConfig c;
  c.path = dir.Path("map");
  c.max_entries = max_entries;
  return c;
}

}  // namespace localio::test
