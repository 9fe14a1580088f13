// SPDX-License-Identifier: LGPL-3.0-or-later
#include "map_probe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "harness/temp_dir.h"
#include "localio/map_reader.h"
#include "localio/wire_handle.h"
#include "vfs_handle.h"

namespace {

using localio::MapReader;

int OpenMap(const char* map_path, std::unique_ptr<MapReader>* out) {
  localio::Status st = MapReader::Open(map_path, LOCALIO_DEFAULT_SERVER_UID, out);
  if (!st.ok()) std::fprintf(stderr, "map probe: %s\n", st.message.c_str());
  return st.ok() ? 0 : (st.code != 0 ? st.code : -EINVAL);
}

int CopyString(std::string_view s, char* buf, size_t buflen) {
  if (s.size() + 1 > buflen) return -ENAMETOOLONG;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return 0;
}

}  // namespace

extern "C" {

int test_map_entry_of(const char* map_path, uint16_t export_id, const void* opaque,
                      size_t len, struct test_map_entry* out) {
  std::unique_ptr<MapReader> r;
  if (int rc = OpenMap(map_path, &r); rc != 0) return rc;
  localio::MapEntry e;
  const int rc = r->Lookup(export_id, {static_cast<const uint8_t*>(opaque), len}, &e);
  if (rc != 0) return rc;
  *out = {};
  out->ino = e.ino;
  out->dev = e.dev;
  out->type = static_cast<int>(e.type);
  out->generation = e.generation;
  return CopyString(e.path(), out->path, sizeof out->path);
}

int test_map_parse_wire(const char* map_path, const void* wire, size_t len,
                        uint32_t* export_id, size_t* opaque_offset, size_t* opaque_len) {
  std::unique_ptr<MapReader> r;
  if (int rc = OpenMap(map_path, &r); rc != 0) return rc;
  const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(wire), len);
  const std::optional<localio::WireHandle> h = localio::ParseWireHandle(bytes, r->fh_format());
  if (!h) return -EINVAL;
  *export_id = h->export_id;
  *opaque_offset = static_cast<size_t>(h->opaque.data() - bytes.data());
  *opaque_len = h->opaque.size();
  return 0;
}

int test_vfs_kernel_handle_size(const void* opaque, size_t len) {
  const auto kh = localio::ParseVfsOpaque({static_cast<const uint8_t*>(opaque), len});
  return kh ? static_cast<int>(kh->size) : -EINVAL;
}

int test_map_path_of(const char* map_path, uint16_t export_id, const void* opaque,
                     size_t len, char* buf, size_t buflen) {
  test_map_entry e;
  const int rc = test_map_entry_of(map_path, export_id, opaque, len, &e);
  return rc != 0 ? rc : CopyString(e.path, buf, buflen);
}

int test_map_export_of(const char* map_path, uint16_t export_id,
                       struct test_map_export* out) {
  std::unique_ptr<MapReader> r;
  if (int rc = OpenMap(map_path, &r); rc != 0) return rc;
  auto row = r->FindExport(export_id);
  if (!row) return -ENOENT;
  *out = {};
  out->read_only = row->read_only;
  out->squash = static_cast<int>(row->squash);
  out->anon_uid = row->anon_uid;
  out->anon_gid = row->anon_gid;
  if (int rc = CopyString(row->server_root, out->server_root, sizeof out->server_root))
    return rc;
  return CopyString(row->client_root, out->client_root, sizeof out->client_root);
}

long test_map_entry_count(const char* map_path) {
  std::unique_ptr<MapReader> r;
  if (int rc = OpenMap(map_path, &r); rc != 0) return rc;
  long n = 0;
  r->ForEachEntry([&](const localio::MapEntry&) { ++n; });
  return n;
}

uint64_t test_map_epoch(const char* map_path) {
  std::unique_ptr<MapReader> r;
  return OpenMap(map_path, &r) == 0 ? r->Epoch() : 0;
}

uint64_t test_map_access_epoch(const char* map_path) {
  std::unique_ptr<MapReader> r;
  return OpenMap(map_path, &r) == 0 ? r->AccessEpoch() : 0;
}

int test_vfs_opaque(const char* path, void* buf, size_t buflen) {
  const int fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -errno;
  const std::string o = localio::VfsOpaqueOf(fd, "");
  const int err = errno;
  close(fd);
  if (o.empty()) return -err;
  if (o.size() > buflen) return -ENOBUFS;
  std::memcpy(buf, o.data(), o.size());
  return static_cast<int>(o.size());
}

struct test_tree {
  localio::harness::TempDir dir;
};

test_tree* test_make_tree(const char* base, const char* prefix) {
  auto tree = std::make_unique<test_tree>();
  if (localio::Status st = tree->dir.Create(prefix, base); !st.ok()) {
    std::fprintf(stderr, "map probe: %s\n", st.message.c_str());
    return nullptr;
  }
  return tree.release();
}

const char* test_tree_path(const test_tree* tree) { return tree->dir.path().c_str(); }

void test_remove_tree(test_tree* tree) { delete tree; }

}  // extern "C"
