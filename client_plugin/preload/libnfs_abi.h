/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The libnfs functions the shim wraps or calls, found in the program's
// libnfs wherever it was loaded (FindProgramLibnfs), and the check that
// they are the libnfs the shim was built against (its soname,
// LOCALIO_LIBNFS_SONAME: libnfs.so.13 for 4.0, libnfs.so.14 for 5.0.2): only
// there are the argument orders, the callback contracts and the
// sync-calls-async-through-the-PLT shape the shim relies on known
// (docs/DESIGN.md, "libnfs as a plugin host").
#ifndef LOCALIO_PRELOAD_LIBNFS_ABI_H
#define LOCALIO_PRELOAD_LIBNFS_ABI_H

#include <cstdint>
#include <string>
#include <vector>

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
  // RPCs queued or waiting for a reply (libnfs-raw.h): the poll family asks
  // the kernel when a context has any (poll_interpose.cc).
  int (*rpc_queue_length)(rpc_context*) = nullptr;
};

// The libnfs the program calls: where its functions are looked up, its
// file, and the address ranges of its code.
struct LibnfsLibrary {
  // RTLD_NEXT when it is in the global scope behind the shim (a program
  // linked to it, or one that loaded it RTLD_GLOBAL); else a handle of
  // dlopen(RTLD_NOLOAD) on it, never closed. nullptr: none is loaded.
  void* handle = nullptr;
  std::string path;  // "" when none
  struct Range {
    uintptr_t begin, end;
  };
  std::vector<Range> code;  // its executable segments

  // dlsym in it (nullptr when it is not there or none was found).
  void* Symbol(const char* name) const;
  // True when `address` is in its code: a call it made.
  bool Contains(const void* address) const;
};

// Finds the program's libnfs at the moment of the call: first behind the
// shim in the global scope, as the dynamic linker would bind the program's
// own calls; else among the libraries loaded RTLD_LOCAL (a module linked to
// libnfs and loaded with dlopen, as qemu loads block-nfs.so), the one with
// the soname `preferred` first, else any "libnfs.so.N".
LibnfsLibrary FindProgramLibnfs(const std::string& preferred);

// Resolves every member in `library`. *missing names the first required
// symbol not found ("" when all were).
RealLibnfs ResolveRealLibnfs(const LibnfsLibrary& library, std::string* missing);

// True when `path`'s file name is `soname` or a longer name of it
// ("libnfs.so.13.0.0" for "libnfs.so.13"; not "libnfs.so.130", "").
bool IsLibraryOf(const std::string& path, const std::string& soname);

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_LIBNFS_ABI_H
