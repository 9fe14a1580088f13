// SPDX-License-Identifier: LGPL-3.0-or-later
#include "map_test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace localio::test {

TempDir::TempDir() {
  std::string tmpl = "/dev/shm/localio-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<uint8_t> HandleFor(uint64_t n, size_t len) {
  std::vector<uint8_t> h(len);
  for (size_t i = 0; i < len; ++i) h[i] = static_cast<uint8_t>((n >> (8 * (i % 8))) ^ (i * 31));
  return h;
}

std::string PathFor(uint64_t n, uint64_t version) {
  return "dir" + std::to_string(n % 7) + "/v" + std::to_string(version) + "/file-" +
         std::to_string(n);
}

MapConfig ConfigIn(const TempDir& dir, uint64_t max_entries) {
  MapConfig c;
  c.path = dir.File("map");
  c.max_entries = max_entries;
  return c;
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

}  // namespace localio::test
