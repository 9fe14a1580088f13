/* SPDX-License-Identifier: LGPL-3.0-or-later */
// One libnfs context mounted on an export, for tests and benchmarks that need
// more than the nfs-* utilities: open files and keep them open, read the wire
// handle a client holds (nfs_get_fh), read whole files. One session per
// thread (libnfs contexts are not thread-safe). Errors carry libnfs's text.
// Each session gets a distinct NFSv4 client name: libnfs 4.0 names every
// context of a process alike, so the server would take two of them for one
// client whose opens share an owner and stateids.
#ifndef LOCALIO_TESTS_HARNESS_NFS_SESSION_H
#define LOCALIO_TESTS_HARNESS_NFS_SESSION_H

#include <sys/time.h>  // libnfs 4.0's header needs struct timeval first
#include <nfsc/libnfs.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "localio/status.h"

namespace localio::harness {

class NfsSession {
 public:
  // Mounts the export named by `export_root_url` (GaneshaServer::Url(id,
  // version, "")); the URL's version and ports apply. Calls time out after
  // `timeout_ms` so a dead server fails a test instead of hanging it.
  static Status Mount(const std::string& export_root_url, std::unique_ptr<NfsSession>* out,
                      int timeout_ms = 15000);
  ~NfsSession();
  NfsSession(const NfsSession&) = delete;
  NfsSession& operator=(const NfsSession&) = delete;

  nfs_context* context() const { return nfs_; }
  // libnfs's text for the last error of this context.
  std::string Error() const;

  // Opens `path` (relative to the export root) with O_RDONLY/O_RDWR...;
  // `*fh` stays valid until Close.
  Status Open(const std::string& path, int flags, nfsfh** fh);
  Status Close(nfsfh* fh);
  // The file handle bytes the server gave for `fh`, as sent on the wire.
  static std::vector<uint8_t> WireHandle(nfsfh* fh);
  // Reads from offset 0 until end of file in `chunk`-byte READs.
  Status ReadAll(nfsfh* fh, std::string* data, size_t chunk = 64 * 1024);
  // Open + ReadAll + Close.
  Status ReadFile(const std::string& path, std::string* data);
  // The size the server reports for an open file (GETATTR).
  Status Size(nfsfh* fh, uint64_t* size);
  // -EIO, "<what>: <Error()>", for a libnfs call on context() that failed.
  Status Fail(const std::string& what) const;

 private:
  NfsSession() = default;

  nfs_context* nfs_ = nullptr;
  nfs_url* url_ = nullptr;
};

}  // namespace localio::harness

#endif  // LOCALIO_TESTS_HARNESS_NFS_SESSION_H
