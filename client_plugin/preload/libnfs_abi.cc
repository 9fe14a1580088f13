// SPDX-License-Identifier: LGPL-3.0-or-later
#include "libnfs_abi.h"

#include <dlfcn.h>

namespace localio::preload {

namespace {

template <class Fn>
void Resolve(const char* name, Fn* out, bool required, std::string* missing) {
  *out = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  if (*out == nullptr && required && missing->empty()) *missing = name;
}

}  // namespace

RealLibnfs ResolveRealLibnfs(std::string* missing) {
  missing->clear();
  RealLibnfs r;
  Resolve("nfs_mount_async", &r.mount_async, true, missing);
  Resolve("nfs_destroy_context", &r.destroy_context, true, missing);
  Resolve("nfs_open2_async", &r.open2_async, true, missing);
  Resolve("nfs_create_async", &r.create_async, true, missing);
  Resolve("nfs_close_async", &r.close_async, true, missing);
  Resolve("nfs_pread", &r.pread, true, missing);
  Resolve("nfs_pwrite", &r.pwrite, true, missing);
  Resolve("nfs_read", &r.read, true, missing);
  Resolve("nfs_write", &r.write, true, missing);
  Resolve("nfs_fsync", &r.fsync, true, missing);
  Resolve("nfs_pread_async", &r.pread_async, true, missing);
  Resolve("nfs_pwrite_async", &r.pwrite_async, true, missing);
  Resolve("nfs_read_async", &r.read_async, true, missing);
  Resolve("nfs_write_async", &r.write_async, true, missing);
  Resolve("nfs_fsync_async", &r.fsync_async, true, missing);
  Resolve("nfs_which_events", &r.which_events, true, missing);
  Resolve("nfs_service", &r.service, true, missing);
  Resolve("nfs_lseek", &r.lseek, true, missing);
  Resolve("nfs_stat_async", &r.stat_async, true, missing);
  Resolve("nfs_stat64_async", &r.stat64_async, true, missing);
  Resolve("nfs_lstat64_async", &r.lstat64_async, true, missing);
  Resolve("nfs_fstat_async", &r.fstat_async, true, missing);
  Resolve("nfs_fstat64_async", &r.fstat64_async, true, missing);
  Resolve("nfs_lseek_async", &r.lseek_async, true, missing);
  Resolve("nfs_opendir_async", &r.opendir_async, true, missing);
  Resolve("nfs_get_fd", &r.get_fd, true, missing);
  Resolve("nfs_get_fh", &r.get_fh, true, missing);
  Resolve("nfs_get_rpc_context", &r.get_rpc_context, true, missing);
  Resolve("rpc_init_context", &r.rpc_init_context, true, missing);
  Resolve("rpc_destroy_context", &r.rpc_destroy_context, true, missing);
  Resolve("rpc_set_auth", &r.rpc_set_auth, true, missing);
  Resolve("libnfs_authunix_create", &r.authsys_create, true, missing);
  Resolve("nfs_get_error", &r.get_error, false, missing);
  Resolve("nfs_set_error", &r.set_error, false, missing);
  return r;
}

std::string LibraryPathOf(const RealLibnfs& real) {
  Dl_info info{};
  if (real.pread_async == nullptr ||
      dladdr(reinterpret_cast<void*>(real.pread_async), &info) == 0 ||
      info.dli_fname == nullptr)
    return "";
  return info.dli_fname;
}

bool IsLibraryOf(const std::string& path, const std::string& soname) {
  const size_t slash = path.rfind('/');
  const std::string_view name =
      std::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
  if (soname.empty() || name.substr(0, soname.size()) != soname) return false;
  return name.size() == soname.size() || name[soname.size()] == '.';
}

}  // namespace localio::preload
