/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Helpers shared by the map and hello tests: a private directory for maps
// and handles/paths that encode a number, so a reader can check what it got.
#ifndef LOCALIO_TESTS_MAP_TEST_UTIL_H
#define LOCALIO_TESTS_MAP_TEST_UTIL_H

#include <cstdint>
#include <string>
#include <vector>

#include "harness/temp_dir.h"
#include "localio/map_writer.h"

namespace localio::test {

// A fresh harness::TempDir under /dev/shm: maps live on tmpfs in
// production, and a map's locking and mmap behave as they do there.
harness::TempDir MapTempDir();

// A handle of `len` bytes derived from `n` (distinct n -> distinct handle).
std::vector<uint8_t> HandleFor(uint64_t n, size_t len = 24);
// The path the stress test publishes for handle n: it encodes n.
std::string PathFor(uint64_t n, uint64_t version = 0);

// The tests' map capacity, unless a test needs another.
inline constexpr uint64_t kTestMaxEntries = 1024;
// A MapConfig writing "map" into `dir`.
MapConfig ConfigIn(const harness::TempDir& dir, uint64_t max_entries = kTestMaxEntries);

}  // namespace localio::test

#endif  // LOCALIO_TESTS_MAP_TEST_UTIL_H
