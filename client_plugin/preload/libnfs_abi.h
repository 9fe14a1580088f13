/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The libnfs functions the shim wraps or calls, found behind it with
// dlsym(RTLD_NEXT), and the check that they are the libnfs the shim was
// built against (its soname, LOCALIO_LIBNFS_SONAME: libnfs.so.13 for 4.0,
// libnfs.so.14 for 5.0.2): only there are the argument orders, the
// callback contracts and the sync-calls-async-through-the-PLT shape the
// shim relies on known (docs/DESIGN.md, "libnfs as a plugin host").
#ifndef LOCALIO_PRELOAD_LIBNFS_ABI_H
#define LOCALIO_PRELOAD_LIBNFS_ABI_H

#include <cstdint>
#include <string>

#include "libnfs_calls.h"

namespace localio::preload {

// The soname of the libnfs this shim was built against.
inline constexpr const char* kBuiltForLibnfs = LOCALIO_LIBNFS_SONAME;

// libnfs 4.0's and 5.0's completion callback (nfs_cb).
using NfsCb = client::NfsCb;

// The real libnfs entry points: those the core calls (LibnfsCalls), and
// the ones only the shim wraps. Members are nullptr when not found;
// get_error is optional.
struct RealLibnfs : client::LibnfsCalls {
  int (*mount_async)(nfs_context*, const char*, const char*, NfsCb, void*) = nullptr;
  void (*destroy_context)(nfs_context*) = nullptr;
  int (*open2_async)(nfs_context*, const char*, int, int, NfsCb, void*) = nullptr;
  int (*create_async)(nfs_context*, const char*, int, int, NfsCb, void*) = nullptr;
  int (*close_async)(nfs_context*, nfsfh*, NfsCb, void*) = nullptr;
  int (*stat_async)(nfs_context*, const char*, NfsCb, void*) = nullptr;
  int (*stat64_async)(nfs_context*, const char*, NfsCb, void*) = nullptr;
  int (*lstat64_async)(nfs_context*, const char*, NfsCb, void*) = nullptr;
  int (*fstat_async)(nfs_context*, nfsfh*, NfsCb, void*) = nullptr;
  int (*fstat64_async)(nfs_context*, nfsfh*, NfsCb, void*) = nullptr;
  int (*lseek_async)(nfs_context*, nfsfh*, int64_t, int, NfsCb, void*) = nullptr;
  int (*opendir_async)(nfs_context*, const char*, NfsCb, void*) = nullptr;
  // Not in libnfs.h but exported by libnfs.so.13 and .14; optional.
  void (*set_error)(nfs_context*, const char*, ...) = nullptr;
};

// Resolves every member with dlsym(RTLD_NEXT). *missing names the first
// required symbol not found ("" when all were).
RealLibnfs ResolveRealLibnfs(std::string* missing);

// The file the real nfs_pread_async comes from (dladdr), "" if unknown.
std::string LibraryPathOf(const RealLibnfs& real);

// True when `path`'s file name is `soname` or a longer name of it
// ("libnfs.so.13.0.0" for "libnfs.so.13"; not "libnfs.so.130", "").
bool IsLibraryOf(const std::string& path, const std::string& soname);

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_LIBNFS_ABI_H
