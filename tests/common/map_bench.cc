// Prints what the map costs at 1M entries: lookup (hit, miss), publish (new,
// unchanged) and a directory rename. A program that prints figures, not a
// test: nothing here asserts on time.
//   map_bench [entries]   (default 1048576; the map goes to /dev/shm)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <random>
#include <string>
#include <vector>

#include "localio/map_reader.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

using namespace localio;
using Clock = std::chrono::steady_clock;

namespace {

double NsPerOp(Clock::time_point start, uint64_t ops) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
         static_cast<double>(ops);
}

// 32-byte handles like VFS's (export-local opaque bytes).
std::vector<uint8_t> Handle(uint64_t n) { return test::HandleFor(n * 2654435761u + 17, 32); }

// One dependent random read over `bytes` of memory: the floor under any
// lookup that must touch memory it has not touched recently.
double DependentMissNs(size_t bytes) {
  const size_t lines = bytes / 64;
  std::vector<uint64_t> order(lines);
  for (size_t i = 0; i < lines; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  std::vector<uint64_t> next(lines * 8);
  for (size_t i = 0; i < lines; ++i) next[order[i] * 8] = order[(i + 1) % lines] * 8;
  uint64_t p = 0;
  const uint64_t steps = 2000000;
  auto t = Clock::now();
  for (uint64_t i = 0; i < steps; ++i) p = next[p];
  const double ns = NsPerOp(t, steps);
  return ns + static_cast<double>(p & 1) * 1e-9;  // keep p alive
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t entries = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (1u << 20);
  test::TempDir dir;
  std::unique_ptr<MapWriter> w;
  MapStatus st = MapWriter::Create(test::ConfigIn(dir, entries), &w);
  if (!st.ok()) {
    std::fprintf(stderr, "map_bench: %s\n", st.message.c_str());
    return 1;
  }
  // Fill to 90% of capacity, as a busy server's cache would be.
  const uint64_t capacity = w->Stats().capacity;
  const uint64_t n_keys = capacity * 9 / 10;
  std::vector<std::vector<uint8_t>> handles(n_keys);
  std::vector<std::string> paths(n_keys);
  for (uint64_t n = 0; n < n_keys; ++n) {
    handles[n] = Handle(n);
    paths[n] = "dir" + std::to_string(n % 1000) + "/sub/file-" + std::to_string(n);
  }
  std::vector<uint64_t> order(n_keys);
  for (uint64_t i = 0; i < n_keys; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));

  auto t = Clock::now();
  for (uint64_t n = 0; n < n_keys; ++n)
    w->Publish(1, handles[n], paths[n], n, 1, MapObjectType::kRegular);
  const double publish_new = NsPerOp(t, n_keys);

  t = Clock::now();
  for (uint64_t i : order) w->Publish(1, handles[i], paths[i], i, 1, MapObjectType::kRegular);
  const double publish_same = NsPerOp(t, n_keys);

  std::unique_ptr<MapReader> r;
  st = MapReader::Open(w->path(), &r);
  if (!st.ok()) {
    std::fprintf(stderr, "map_bench: %s\n", st.message.c_str());
    return 1;
  }
  // Handles laid out flat in lookup order, so the benchmark's own reads are
  // sequential and only the map's misses are measured.
  constexpr size_t kLen = 32;
  std::vector<uint8_t> shuffled(n_keys * kLen), absent(n_keys * kLen);
  for (uint64_t i = 0; i < n_keys; ++i) {
    std::memcpy(&shuffled[i * kLen], handles[order[i]].data(), kLen);
    const auto h = Handle(order[i] + n_keys);
    std::memcpy(&absent[i * kLen], h.data(), kLen);
  }
  auto at = [](const std::vector<uint8_t>& v, uint64_t i) {
    return std::span<const uint8_t>(&v[i * kLen], kLen);
  };
  MapEntry e;
  uint64_t found = 0;
  // A fresh mapping faults its page tables in on first touch (~1 us per
  // page); a client maps once per mount, so measure the steady state.
  for (uint64_t i = 0; i < n_keys; ++i) found += r->Lookup(1, handles[i], &e) == 0;
  found = 0;
  t = Clock::now();
  for (uint64_t i = 0; i < n_keys; ++i) found += r->Lookup(1, at(shuffled, i), &e) == 0;
  const double lookup_hit = NsPerOp(t, n_keys);

  // What a client does most: the same few thousand open files again and again.
  const uint64_t hot = std::min<uint64_t>(n_keys, 4096);
  const uint64_t hot_ops = 4 * n_keys;
  uint64_t hot_found = 0;
  t = Clock::now();
  for (uint64_t i = 0; i < hot_ops; ++i)
    hot_found += r->Lookup(1, at(shuffled, i % hot), &e) == 0;
  const double lookup_hot = NsPerOp(t, hot_ops);

  uint64_t wrongly_found = 0;
  t = Clock::now();
  for (uint64_t i = 0; i < n_keys; ++i) wrongly_found += r->Lookup(1, at(absent, i), &e) == 0;
  const double lookup_miss = NsPerOp(t, n_keys);

  t = Clock::now();
  const int renamed = w->RenamePrefix(1, "dir7", "dir7-renamed");
  const double rename_ms = NsPerOp(t, 1) / 1e6;

  const MapStats s = w->Stats();
  std::printf("map_bench: capacity %llu, %llu keys published (%llu held, %llu evicted)\n",
              static_cast<unsigned long long>(s.capacity),
              static_cast<unsigned long long>(n_keys),
              static_cast<unsigned long long>(s.entries_used),
              static_cast<unsigned long long>(s.evictions));
  std::printf("  publish new        %8.1f ns/op\n", publish_new);
  std::printf("  publish unchanged  %8.1f ns/op\n", publish_same);
  std::printf("  lookup hit, random %8.1f ns/op  (%llu of %llu found)\n", lookup_hit,
              static_cast<unsigned long long>(found), static_cast<unsigned long long>(n_keys));
  std::printf("  lookup hit, hot    %8.1f ns/op  (%llu distinct keys)\n", lookup_hot,
              static_cast<unsigned long long>(hot));
  (void)hot_found;
  std::printf("  lookup miss        %8.1f ns/op  (%llu wrongly found)\n", lookup_miss,
              static_cast<unsigned long long>(wrongly_found));
  std::printf("  rename prefix      %8.2f ms     (%d entries moved, full-table scan)\n",
              rename_ms, renamed);
  std::printf("  (reference: one dependent random memory read over a buffer the size of "
              "the map: %.1f ns)\n",
              DependentMissNs(MapGeometryFor(static_cast<uint32_t>(s.capacity / 8)).total_size));
  return wrongly_found == 0 ? 0 : 1;
}
