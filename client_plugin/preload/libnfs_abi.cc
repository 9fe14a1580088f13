// SPDX-License-Identifier: LGPL-3.0-or-later
#include "libnfs_abi.h"

#include <dlfcn.h>
#include <link.h>

namespace localio::preload {

namespace {

// A function every libnfs has (4.0 to 6.x), to find the library by.
constexpr const char* kProbeSymbol = "nfs_pread_async";

// A loaded object: its file (as the dynamic linker names it) and code.
struct LoadedObject {
  std::string path;
  std::vector<LibnfsLibrary::Range> code;
};

int CollectObject(dl_phdr_info* info, size_t, void* data) {
  LoadedObject object;
  object.path = info->dlpi_name != nullptr ? info->dlpi_name : "";
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
    const uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    object.code.push_back({begin, begin + ph.p_memsz});
  }
  static_cast<std::vector<LoadedObject>*>(data)->push_back(std::move(object));
  return 0;
}

std::vector<LoadedObject> LoadedObjects() {
  std::vector<LoadedObject> objects;
  dl_iterate_phdr(CollectObject, &objects);
  return objects;
}

bool InCode(const std::vector<LibnfsLibrary::Range>& code, uintptr_t address) {
  for (const auto& r : code)
    if (address >= r.begin && address < r.end) return true;
  return false;
}

template <class Fn>
void Resolve(const LibnfsLibrary& library, const char* name, Fn* out, bool required,
             std::string* missing) {
  *out = reinterpret_cast<Fn>(library.Symbol(name));
  if (*out == nullptr && required && missing->empty()) *missing = name;
}

}  // namespace

void* LibnfsLibrary::Symbol(const char* name) const {
  return handle == nullptr ? nullptr : dlsym(handle, name);
}

bool LibnfsLibrary::Contains(const void* address) const {
  return InCode(code, reinterpret_cast<uintptr_t>(address));
}

LibnfsLibrary FindProgramLibnfs(const std::string& preferred) {
  const std::vector<LoadedObject> objects = LoadedObjects();
  LibnfsLibrary found;
  // Behind the shim, as the program's own calls bind.
  if (void* probe = dlsym(RTLD_NEXT, kProbeSymbol)) {
    for (const LoadedObject& object : objects) {
      if (!InCode(object.code, reinterpret_cast<uintptr_t>(probe))) continue;
      found.handle = RTLD_NEXT;
      found.path = object.path;
      found.code = object.code;
      return found;
    }
  }
  // Loaded RTLD_LOCAL: visible only through a handle of its own.
  const LoadedObject* pick = nullptr;
  for (const LoadedObject& object : objects) {
    if (!IsLibraryOf(object.path, "libnfs.so")) continue;  // any "libnfs.so.N"
    if (pick == nullptr ||
        (IsLibraryOf(object.path, preferred) && !IsLibraryOf(pick->path, preferred)))
      pick = &object;
  }
  if (pick == nullptr) return found;
  void* handle = dlopen(pick->path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return found;
  found.handle = handle;
  found.path = pick->path;
  found.code = pick->code;
  return found;
}

RealLibnfs ResolveRealLibnfs(const LibnfsLibrary& library, std::string* missing) {
  missing->clear();
  RealLibnfs r;
  Resolve(library, "nfs_mount_async", &r.mount_async, true, missing);
  Resolve(library, "nfs_destroy_context", &r.destroy_context, true, missing);
  Resolve(library, "nfs_open2_async", &r.open2_async, true, missing);
  Resolve(library, "nfs_create_async", &r.create_async, true, missing);
  Resolve(library, "nfs_close_async", &r.close_async, true, missing);
  Resolve(library, "nfs_pread", &r.pread, true, missing);
  Resolve(library, "nfs_pwrite", &r.pwrite, true, missing);
  Resolve(library, "nfs_read", &r.read, true, missing);
  Resolve(library, "nfs_write", &r.write, true, missing);
  Resolve(library, "nfs_fsync", &r.fsync, true, missing);
  Resolve(library, "nfs_pread_async", &r.pread_async, true, missing);
  Resolve(library, "nfs_pwrite_async", &r.pwrite_async, true, missing);
  Resolve(library, "nfs_read_async", &r.read_async, true, missing);
  Resolve(library, "nfs_write_async", &r.write_async, true, missing);
  Resolve(library, "nfs_fsync_async", &r.fsync_async, true, missing);
  Resolve(library, "nfs_which_events", &r.which_events, true, missing);
  Resolve(library, "nfs_service", &r.service, true, missing);
  Resolve(library, "nfs_lseek", &r.lseek, true, missing);
  Resolve(library, "nfs_stat_async", &r.stat_async, true, missing);
  Resolve(library, "nfs_stat64_async", &r.stat64_async, true, missing);
  Resolve(library, "nfs_lstat64_async", &r.lstat64_async, true, missing);
  Resolve(library, "nfs_fstat_async", &r.fstat_async, true, missing);
  Resolve(library, "nfs_fstat64_async", &r.fstat64_async, true, missing);
  Resolve(library, "nfs_lseek_async", &r.lseek_async, true, missing);
  Resolve(library, "nfs_opendir_async", &r.opendir_async, true, missing);
  Resolve(library, "nfs_get_fd", &r.get_fd, true, missing);
  Resolve(library, "nfs_get_fh", &r.get_fh, true, missing);
  Resolve(library, "nfs_get_rpc_context", &r.get_rpc_context, true, missing);
  Resolve(library, "rpc_init_context", &r.rpc_init_context, true, missing);
  Resolve(library, "rpc_destroy_context", &r.rpc_destroy_context, true, missing);
  Resolve(library, "rpc_set_auth", &r.rpc_set_auth, true, missing);
  Resolve(library, "libnfs_authunix_create", &r.authsys_create, true, missing);
  Resolve(library, "nfs_get_error", &r.get_error, false, missing);
  Resolve(library, "nfs_set_error", &r.set_error, false, missing);
  Resolve(library, "rpc_queue_length", &r.rpc_queue_length, true, missing);
  return r;
}

bool IsLibraryOf(const std::string& path, const std::string& soname) {
  const size_t slash = path.rfind('/');
  const std::string_view name =
      std::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
  if (soname.empty() || name.substr(0, soname.size()) != soname) return false;
  return name.size() == soname.size() || name[soname.size()] == '.';
}

}  // namespace localio::preload
