/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The libnfs functions the client core calls, as its front end found them:
// the C API links libnfs and hands over its functions, the shim hands over
// the ones it found behind it (preload/libnfs_abi.h) or wrappers of them.
// The core uses libnfs's types only, never its symbols, so the shim needs
// no link to a libnfs soname. libnfs 4.0 and 5.0.2 have these prototypes.
#ifndef LOCALIO_CLIENT_LIBNFS_CALLS_H
#define LOCALIO_CLIENT_LIBNFS_CALLS_H

#include <cerrno>
#include <cstdint>
#include <cstring>

struct nfs_context;
struct nfsfh;
struct nfs_fh;
struct rpc_context;
struct AUTH;

namespace localio::client {

// libnfs's completion callback (nfs_cb): status, context, data (the bytes
// read, or the error sentence when status < 0), the caller's pointer.
using NfsCb = void (*)(int status, nfs_context* nfs, void* data, void* private_data);

struct LibnfsCalls {
  int (*get_fd)(nfs_context*) = nullptr;
  nfs_fh* (*get_fh)(nfsfh*) = nullptr;
  // nullptr: the core's sentence for a failed RPC is "libnfs call failed".
  char* (*get_error)(nfs_context*) = nullptr;
  // Where the core sends the I/O it does not serve from the local file.
  int (*pread)(nfs_context*, nfsfh*, uint64_t, uint64_t, void*) = nullptr;
  int (*pwrite)(nfs_context*, nfsfh*, uint64_t, uint64_t, const void*) = nullptr;
  int (*read)(nfs_context*, nfsfh*, uint64_t, void*) = nullptr;
  int (*write)(nfs_context*, nfsfh*, uint64_t, const void*) = nullptr;
  int (*fsync)(nfs_context*, nfsfh*) = nullptr;
  int (*pread_async)(nfs_context*, nfsfh*, uint64_t, uint64_t, NfsCb, void*) = nullptr;
  int (*pwrite_async)(nfs_context*, nfsfh*, uint64_t, uint64_t, const void*, NfsCb,
                      void*) = nullptr;
  int (*read_async)(nfs_context*, nfsfh*, uint64_t, NfsCb, void*) = nullptr;
  int (*write_async)(nfs_context*, nfsfh*, uint64_t, const void*, NfsCb, void*) = nullptr;
  int (*fsync_async)(nfs_context*, nfsfh*, NfsCb, void*) = nullptr;
  // The file offset of nfs_read/nfs_write (SEEK_CUR and SEEK_SET complete
  // at once, without RPC).
  int (*lseek)(nfs_context*, nfsfh*, int64_t, int, uint64_t*) = nullptr;
  // The event loop (CompletionQueue::WhichEvents and Service).
  int (*which_events)(nfs_context*) = nullptr;
  int (*service)(nfs_context*, int) = nullptr;
  // The AUTH_SYS credential the context's RPCs carry (rpc_credential.h):
  // its rpc_context, and what the probe of struct AUTH's place in it uses.
  rpc_context* (*get_rpc_context)(nfs_context*) = nullptr;
  rpc_context* (*rpc_init_context)() = nullptr;
  void (*rpc_destroy_context)(rpc_context*) = nullptr;
  void (*rpc_set_auth)(rpc_context*, AUTH*) = nullptr;
  // libnfs_authunix_create (libnfs-zdr.h names it authunix_create by a macro).
  AUTH* (*authsys_create)(const char*, uint32_t, uint32_t, uint32_t, uint32_t*) = nullptr;
};

// A libnfs result as the C API's -errno. libnfs 4.0 and 5.0.2 return a
// bare -1 where a call fails before or beside its RPC (not queued, a failed
// poll or service), and -1 is also -EPERM, what libnfs makes of an NFS
// status PERM. libnfs's sentence tells them apart: it names that status
// (NFS3ERR_PERM, NFS4ERR_PERM). Any other -1 is -EIO; the sentence stays
// libnfs's. The shim does not use this: its callers expect libnfs's values.
inline int LibnfsErrno(int rc, const char* sentence) {
  if (rc != -1) return rc;
  return sentence != nullptr && std::strstr(sentence, "ERR_PERM") != nullptr ? -EPERM : -EIO;
}

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_LIBNFS_CALLS_H
