// SPDX-License-Identifier: LGPL-3.0-or-later
// Prints what the map costs at 1M entries: its shared memory per entry,
// lookup (random hit, hot set, miss), publish (new, unchanged), a
// UUID_IS_LOCAL that confirms nothing, and a directory rename. A program that
// prints figures, not a test: nothing here asserts on time.
//   map_bench [entries] [passes]   (defaults 1048576 and 5; map in /dev/shm)
// Each lookup and re-publish figure is the median of `passes` passes, with
// the fastest and slowest pass beside it: the machine is shared and noisy.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "localio/hello_area.h"
#include "localio/map_reader.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

using namespace localio;
using Steady = std::chrono::steady_clock;

namespace {

double NsPerOp(Steady::time_point start, uint64_t ops) {
  return std::chrono::duration<double, std::nano>(Steady::now() - start).count() /
         static_cast<double>(ops);
}

struct Figure {
  double median, min, max;
};

// Runs `pass` (which returns ns/op) `passes` times.
Figure Measure(int passes, const std::function<double()>& pass) {
  std::vector<double> v;
  for (int i = 0; i < passes; ++i) v.push_back(pass());
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

void Print(const char* name, const Figure& f, const std::string& note) {
  std::printf("  %-19s %8.1f ns/op  [%.1f .. %.1f]  %s\n", name, f.median, f.min, f.max,
              note.c_str());
}

// 32-byte handles like VFS's (export-local opaque bytes).
constexpr size_t kLen = 32;
std::vector<uint8_t> Handle(uint64_t n) { return test::HandleFor(n * 2654435761u + 17, kLen); }

// Handles laid out flat in the order they are used, so the benchmark's own
// reads are sequential and only the map's misses are measured.
class HandleList {
 public:
  void Add(const std::vector<uint8_t>& h) { bytes_.insert(bytes_.end(), h.begin(), h.end()); }
  uint64_t size() const { return bytes_.size() / kLen; }
  std::span<const uint8_t> operator[](uint64_t i) const { return {&bytes_[i * kLen], kLen}; }

 private:
  std::vector<uint8_t> bytes_;
};

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
  auto t = Steady::now();
  for (uint64_t i = 0; i < steps; ++i) p = next[p];
  const double ns = NsPerOp(t, steps);
  return ns + static_cast<double>(p & 1) * 1e-9;  // keep p alive
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t entries = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (1u << 20);
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  harness::TempDir dir = test::MapTempDir();
  std::unique_ptr<MapWriter> w;
  Status st = MapWriter::Create(test::ConfigIn(dir, entries), &w);
  if (!st.ok()) {
    std::fprintf(stderr, "map_bench: %s\n", st.message.c_str());
    return 1;
  }
  // Fill to 90% of capacity, as a busy server's cache would be; full buckets
  // evict, so some keys end up not held.
  const uint64_t capacity = w->Stats().capacity;
  const uint64_t n_keys = capacity * 9 / 10;
  std::vector<std::vector<uint8_t>> handles(n_keys);
  std::vector<std::string> paths(n_keys);
  for (uint64_t n = 0; n < n_keys; ++n) {
    handles[n] = Handle(n);
    // 20..60 bytes, median 40 (issue 13's figure for the map's size).
    paths[n] = "dir" + std::to_string(n % 1000) + "/sub/file-" + std::to_string(n);
    const size_t len = 20 + (n * 7919) % 41;
    if (paths[n].size() < len) paths[n] += "-" + std::string(len - paths[n].size() - 1, 'x');
  }
  auto t = Steady::now();
  for (uint64_t n = 0; n < n_keys; ++n)
    w->Publish(1, handles[n], paths[n], n, 1, MapObjectType::kRegular);
  const double publish_new = NsPerOp(t, n_keys);

  std::unique_ptr<MapReader> r;
  st = MapReader::Open(w->path(), geteuid(), &r);
  if (!st.ok()) {
    std::fprintf(stderr, "map_bench: %s\n", st.message.c_str());
    return 1;
  }
  // Which keys the map holds; this first pass also faults the reader's page
  // tables in (~1 us per page), which a client pays once per mount.
  MapEntry e;
  std::vector<uint64_t> held;
  for (uint64_t n = 0; n < n_keys; ++n)
    if (r->Lookup(1, handles[n], &e) == 0 && e.ino == n) held.push_back(n);
  std::shuffle(held.begin(), held.end(), std::mt19937_64(1));
  HandleList random_hits, absent;
  for (uint64_t n : held) {
    random_hits.Add(handles[n]);
    absent.Add(Handle(n + n_keys));
  }

  const Figure publish_same = Measure(passes, [&] {
    const auto start = Steady::now();
    for (uint64_t n : held) w->Publish(1, handles[n], paths[n], n, 1, MapObjectType::kRegular);
    return NsPerOp(start, held.size());
  });

  uint64_t not_found = 0;
  const Figure lookup_hit = Measure(passes, [&] {
    const auto start = Steady::now();
    for (uint64_t i = 0; i < random_hits.size(); ++i)
      not_found += r->Lookup(1, random_hits[i], &e) != 0;
    return NsPerOp(start, random_hits.size());
  });

  // What a client does most: the same few thousand open files again and again.
  const uint64_t hot = std::min<uint64_t>(random_hits.size(), 4096);
  const Figure lookup_hot = Measure(passes, [&] {
    const uint64_t ops = 4 * random_hits.size();
    const auto start = Steady::now();
    for (uint64_t i = 0; i < ops; ++i) not_found += r->Lookup(1, random_hits[i % hot], &e) != 0;
    return NsPerOp(start, ops);
  });

  uint64_t wrongly_found = 0;
  const Figure lookup_miss = Measure(passes, [&] {
    const auto start = Steady::now();
    for (uint64_t i = 0; i < absent.size(); ++i) wrongly_found += r->Lookup(1, absent[i], &e) == 0;
    return NsPerOp(start, absent.size());
  });

  // What a UUID_IS_LOCAL call costs the listener when it confirms nothing
  // (a flood's call): the nonce names slot 0, which holds no nonce.
  const Figure uuid_is_local = Measure(passes, [&] {
    constexpr uint64_t kCalls = 100000;
    Nonce nonce{};
    nonce[kHelloNonceSlotBytes] = 1;
    const auto start = Steady::now();
    for (uint64_t i = 0; i < kCalls; ++i) {
      nonce[kHelloNonceSlotBytes + 1] = static_cast<uint8_t>(i);
      w->ConfirmNonce(nonce);
    }
    return NsPerOp(start, kCalls);
  });

  t = Steady::now();
  const int renamed = w->RenamePrefix(1, "dir7", "dir7-renamed");
  const double rename_ms = NsPerOp(t, 1) / 1e6;

  const MapStats s = w->Stats();
  std::printf("map_bench: capacity %llu, %llu keys published (%llu held, %llu evicted), "
              "median [min .. max] of %d passes\n",
              static_cast<unsigned long long>(s.capacity),
              static_cast<unsigned long long>(n_keys),
              static_cast<unsigned long long>(s.entries_used),
              static_cast<unsigned long long>(s.evictions), passes);
  const MapGeometry g = MapGeometryFor(static_cast<uint32_t>(s.capacity / kMapSlotsPerBucket));
  std::vector<size_t> lengths;
  for (const std::string& p : paths) lengths.push_back(p.size());
  std::nth_element(lengths.begin(), lengths.begin() + lengths.size() / 2, lengths.end());
  std::printf("  shared memory       %8.1f bytes/entry (%llu bytes for %llu entries; paths of "
              "median %zu bytes, %zu-byte handles; records use %.0f%% of the arena)\n",
              static_cast<double>(g.total_size) / static_cast<double>(s.capacity),
              static_cast<unsigned long long>(g.total_size),
              static_cast<unsigned long long>(s.capacity), lengths[lengths.size() / 2], kLen,
              100.0 * static_cast<double>(s.arena_used_bytes) /
                  static_cast<double>(s.arena_bytes));
  Print("publish new", {publish_new, publish_new, publish_new}, "(one pass: fills the map)");
  Print("publish unchanged", publish_same, "(held keys, random order)");
  Print("lookup hit, random", lookup_hit,
        "(" + std::to_string(held.size()) + " held keys, random order)");
  Print("lookup hit, hot", lookup_hot, "(" + std::to_string(hot) + " distinct keys)");
  Print("lookup miss", lookup_miss, "(absent keys)");
  Print("UUID_IS_LOCAL", uuid_is_local, "(a nonce no slot holds: one slot's head read)");
  std::printf("  rename prefix       %8.2f ms     (%d entries moved, full-table scan)\n",
              rename_ms, renamed);
  std::printf("  reference: one dependent random memory read over a buffer the size of "
              "the map: %.1f ns\n",
              DependentMissNs(g.total_size));
  if (not_found != 0 || wrongly_found != 0) {
    std::fprintf(stderr, "map_bench: %llu held keys not found, %llu absent keys found\n",
                 static_cast<unsigned long long>(not_found),
                 static_cast<unsigned long long>(wrongly_found));
    return 1;
  }
  return 0;
}
