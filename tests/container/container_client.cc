// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-container-client: reads one file of an export through the
// LOCALIO C API (liblocalio_client) and prints the context's counters, so
// a test can see from the client's side why I/O did or did not bypass.
//   localio-container-client <export-root-url> <path> <local-file>
// LOCALIO_MAP names the map (the C API reads it); LOCALIO_PATH_MAP, when
// set, is passed as the path map. Prints one line on stdout:
//   local=0|1 handshakes=N handshakes_ok=N read_ops=N read_bytes=N
//   fallback.<reason>=N ... bytes=N
// and the context's last error, if any, on stderr. Exit 0 when the whole
// file was copied, 1 when an NFS or local call failed, 2 on bad usage.
#include <fcntl.h>
#include <nfsc/libnfs.h>
#include <sys/time.h>  // libnfs 4.0's header needs struct timeval first
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "localio/localio_client.h"

namespace {

// libnfs 4.0 sends an NFSv4 READ unchunked; stay well below its ~1 MiB limit.
constexpr uint64_t kChunk = 512 * 1024;

struct Session {
  nfs_context* nfs = nullptr;
  nfs_url* url = nullptr;
  localio_context* lio = nullptr;
  ~Session() {
    if (lio != nullptr) localio_detach(lio);
    if (url != nullptr) nfs_destroy_url(url);
    if (nfs != nullptr) nfs_destroy_context(nfs);
  }
};

void PrintCounters(localio_context* lio, uint64_t bytes) {
  localio_counters c{};
  localio_get_counters(lio, &c);
  std::printf("local=%d handshakes=%llu handshakes_ok=%llu read_ops=%llu read_bytes=%llu",
              localio_is_local(lio), static_cast<unsigned long long>(c.handshakes),
              static_cast<unsigned long long>(c.handshakes_ok),
              static_cast<unsigned long long>(c.read_ops),
              static_cast<unsigned long long>(c.read_bytes));
  for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r) {
    std::printf(" fallback.%s=%llu", localio_fallback_reason_name(r),
                static_cast<unsigned long long>(c.fallbacks[r]));
  }
  std::printf(" bytes=%llu\n", static_cast<unsigned long long>(bytes));
}

int Copy(Session& s, const char* path, const char* local) {
  nfsfh* fh = nullptr;
  int rc = localio_open(s.lio, path, O_RDONLY, &fh);
  if (rc != 0) {
    std::fprintf(stderr, "localio-container-client: open %s: %s\n", path, localio_get_error(s.lio));
    return 1;
  }
  int out = open(local, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    std::fprintf(stderr, "localio-container-client: %s: %s\n", local, std::strerror(errno));
    localio_close(s.lio, fh);
    return 1;
  }
  std::vector<char> buf(kChunk);
  uint64_t offset = 0;
  int result = 0;
  for (;;) {
    int n = localio_pread(s.lio, fh, offset, kChunk, buf.data());
    if (n < 0) {
      std::fprintf(stderr, "localio-container-client: read %s at %llu: %s\n", path,
                   static_cast<unsigned long long>(offset), localio_get_error(s.lio));
      result = 1;
      break;
    }
    if (n == 0) break;
    if (write(out, buf.data(), static_cast<size_t>(n)) != n) {
      std::fprintf(stderr, "localio-container-client: write %s: %s\n", local, std::strerror(errno));
      result = 1;
      break;
    }
    offset += static_cast<uint64_t>(n);
  }
  if (close(out) != 0) result = 1;
  if (localio_close(s.lio, fh) != 0) result = 1;
  PrintCounters(s.lio, offset);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fputs("usage: localio-container-client <export-root-url> <path> <local-file>\n", stderr);
    return 2;
  }
  Session s;
  s.nfs = nfs_init_context();
  if (s.nfs == nullptr) return 1;
  s.url = nfs_parse_url_dir(s.nfs, argv[1]);
  if (s.url == nullptr) {
    std::fprintf(stderr, "localio-container-client: bad URL %s: %s\n", argv[1],
                 nfs_get_error(s.nfs));
    return 2;
  }
  if (nfs_mount(s.nfs, s.url->server, s.url->path) != 0) {
    std::fprintf(stderr, "localio-container-client: mount %s: %s\n", s.url->path,
                 nfs_get_error(s.nfs));
    return 1;
  }
  localio_config cfg;
  localio_config_init(&cfg);
  cfg.path_map = std::getenv("LOCALIO_PATH_MAP");
  if (localio_attach(s.nfs, &cfg, &s.lio) != 0) return 1;
  const std::string path = std::string("/") + argv[2];
  int rc = Copy(s, path.c_str(), argv[3]);
  if (localio_get_error(s.lio)[0] != '\0') {
    std::fprintf(stderr, "localio-container-client: %s\n", localio_get_error(s.lio));
  }
  return rc;
}
