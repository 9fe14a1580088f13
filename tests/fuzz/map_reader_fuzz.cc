// SPDX-License-Identifier: LGPL-3.0-or-later
// libFuzzer target for the map reader: whatever a file at Map_Path holds,
// MapReader must report an error or answer from bounds-checked copies —
// never crash, hang or read outside the mapping.
//
// Input byte 0 picks the mode: even -> the rest is the whole file (header
// validation); odd -> the rest is a list of patches applied to a valid
// one-bucket map with an export and entries, so that the fuzzer reaches the
// export, lookup and walk code behind a header that validates.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "localio/map_reader.h"
#include "localio/map_writer.h"

namespace {

using namespace localio;

struct Scratch {
  std::string dir;
  std::string file;
  std::vector<uint8_t> skeleton;  // a valid map image
};

std::vector<uint8_t> Handle(uint8_t n) {
  std::vector<uint8_t> h(8 + n % 40);
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(n * 13 + i);
  return h;
}

void RemoveScratch();

Scratch& TheScratch() {
  static Scratch* s = [] {
    auto* sc = new Scratch;
    std::string tmpl = "/dev/shm/localio-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) abort();
    sc->dir = tmpl;
    sc->file = sc->dir + "/input";
    MapConfig c;
    c.path = sc->dir + "/map";
    c.max_entries = 8;
    std::unique_ptr<MapWriter> w;
    if (!MapWriter::Create(c, &w).ok()) abort();
    MapExport e;
    e.export_id = 1;
    e.server_root = "/srv/a";
    e.client_root = "/mnt/a";
    if (!w->SetExport(e).ok()) abort();
    for (uint8_t n = 0; n < 6; ++n)
      w->Publish(1, Handle(n), "d" + std::to_string(n) + "/f", n, 1, MapObjectType::kRegular);
    std::ifstream in(c.path, std::ios::binary);
    sc->skeleton.assign(std::istreambuf_iterator<char>(in), {});
    atexit(RemoveScratch);
    return sc;
  }();
  return *s;
}

void RemoveScratch() {
  std::error_code ec;
  std::filesystem::remove_all(TheScratch().dir, ec);
}

// Patches: [region][offset lo][offset hi][len][bytes...] repeated.
void ApplyPatches(const uint8_t* data, size_t size, std::vector<uint8_t>* image) {
  const MapGeometry g = MapGeometryFor(1);
  const uint64_t bases[5] = {0, g.export_keys_offset, g.export_rows_offset, g.tags_offset,
                             g.arena_offset};
  size_t i = 0;
  while (i + 4 <= size) {
    const uint64_t base = bases[data[i] % 5];
    const uint64_t off = base + (data[i + 1] | data[i + 2] << 8);
    size_t len = data[i + 3] % 32;
    i += 4;
    len = std::min(len, size - i);
    for (size_t k = 0; k < len && off + k < image->size(); ++k) (*image)[off + k] = data[i + k];
    i += len;
  }
  // The last byte may shorten the file, to probe size checks.
  if (size > 0 && data[size - 1] == 0xfe) image->resize(image->size() / 2);
}

void Exercise(const MapReader& r, const uint8_t* data, size_t size) {
  MapHeaderSnapshot snap;
  r.ReadHeader(&snap);
  (void)r.Epoch();
  (void)r.Alive();
  (void)r.HeartbeatMs();
  (void)r.Refresh();
  for (uint16_t id : {0, 1, 2, 0xffff}) {
    auto e = r.FindExport(id);
    if (e && (e->server_root.empty() || e->server_root[0] != '/')) abort();
  }
  MapEntry entry;
  auto check = [&](uint16_t export_id, std::span<const uint8_t> h) {
    if (r.Lookup(export_id, h, &entry) == 0 && !MapRelPathIsSafe(entry.path())) abort();
  };
  for (uint8_t n = 0; n < 8; ++n) check(1, Handle(n));
  if (size >= 2) check(static_cast<uint16_t>(data[0] | data[1] << 8), {data, std::min<size_t>(size, 70)});
  r.ForEachEntry([](const MapEntry& e) {
    if (!MapRelPathIsSafe(e.path()) || e.handle_len == 0 || e.handle_len > kMapMaxHandleLen)
      abort();
  });
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
  {
    std::ofstream out(s.file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  }
  // A map others may write is refused before it is read (trusted_dir.h),
  // whatever the umask made of it.
  chmod(s.file.c_str(), 0600);
  std::unique_ptr<MapReader> r;
  if (MapReader::Open(s.file, geteuid(), &r).ok()) Exercise(*r, data, size);
  return 0;
}
