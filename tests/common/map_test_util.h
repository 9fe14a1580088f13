/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Helpers shared by the map and hello tests: a private temp directory and
// handles/paths that encode a number, so a reader can check what it got.
#ifndef LOCALIO_TESTS_MAP_TEST_UTIL_H
#define LOCALIO_TESTS_MAP_TEST_UTIL_H

#include <cstdint>
#include <string>
#include <vector>

#include "localio/map_writer.h"

namespace localio::test {

// A fresh directory under /dev/shm (tmpfs, like production), removed with
// everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A handle of `len` bytes derived from `n` (distinct n -> distinct handle).
std::vector<uint8_t> HandleFor(uint64_t n, size_t len = 24);
// The path the stress test publishes for handle n: it encodes n.
std::string PathFor(uint64_t n, uint64_t version = 0);

// The tests' map capacity, unless a test needs another.
inline constexpr uint64_t kTestMaxEntries = 1024;
// A MapConfig writing into `dir`.
MapConfig ConfigIn(const TempDir& dir, uint64_t max_entries = kTestMaxEntries);

// Writes `bytes` as the whole content of `path`.
void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> ReadFile(const std::string& path);

}  // namespace localio::test

#endif  // LOCALIO_TESTS_MAP_TEST_UTIL_H
