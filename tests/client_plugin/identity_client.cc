// SPDX-License-Identifier: LGPL-3.0-or-later
// A libnfs program that knows nothing of LOCALIO (it links only libnfs),
// run by preload_identity_test under liblocalio_preload.so: it mounts the
// URL given (whose ?uid=&gid= set the RPC identity, as libnfs parses it),
// then runs its operations in order on one open file at a time and prints
// one line per operation:
//   open PATH r|w|rw|cw -> "open <rc>" (cw: O_WRONLY | O_CREAT, mode 0644)
//   read               -> "read <rc> <data>" (the whole file from offset 0)
//   write DATA         -> "write <rc>" (nfs_pwrite at offset 0)
//   ids UID GID        -> "ids" (nfs_set_uid, nfs_set_gid)
//   auth UID GID GROUPS -> "auth" (nfs_set_auth of an AUTH_SYS credential;
//                         GROUPS: "-" for none, else "G1,G2,...")
//   chmod PATH MODE    -> "chmod <rc>": nfs_chmod (octal MODE) through a
//                         second context on the same URL acting as root, so
//                         the server sees the change
//   close              -> "close <rc>"
// rc is libnfs's result (bytes, 0, or -errno; -EBADF when no file is
// open). Exit 0 when every
// operation ran (whatever it returned), 1 when the mount failed, 2 on bad
// usage.
//
// usage: identity_client <export-root-url> OP...
#include <fcntl.h>
#include <unistd.h>
#include <sys/time.h>  // libnfs 4.0's header needs struct timeval first

#include <nfsc/libnfs.h>
// after libnfs.h, which defines its EXTERN: libnfs_authunix_create
#include <nfsc/libnfs-raw.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int Usage() {
  std::fputs("usage: identity_client <export-root-url> [open PATH r|w|rw|cw | read | "
             "write DATA | ids UID GID | auth UID GID GROUPS | chmod PATH MODE | "
             "close]...\n",
             stderr);
  return 2;
}

// "-" or "G1,G2,...".
std::vector<uint32_t> Groups(const std::string& text) {
  std::vector<uint32_t> groups;
  if (text == "-") return groups;
  for (size_t at = 0; at <= text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    groups.push_back(static_cast<uint32_t>(std::stoul(text.substr(at, comma - at))));
    at = comma + 1;
  }
  return groups;
}

// The root context of ChmodAsRoot, once made.
nfs_context* admin = nullptr;

// PATH's mode changed by root through the server (a context of its own,
// mounted from `url` at the first call).
int ChmodAsRoot(const char* url, const char* path, int mode) {
  if (admin == nullptr) {
    admin = nfs_init_context();
    nfs_url* u = admin == nullptr ? nullptr : nfs_parse_url_dir(admin, url);
    if (u == nullptr) return -ENOMEM;
    // NFSv4: a client id of its own (libnfs's default is the same for
    // every context of the process, and a second one would replace the
    // first's state).
    const std::string name = "identity-client-admin-" + std::to_string(getpid());
    nfs4_set_client_name(admin, name.c_str());
    nfs_set_uid(admin, 0);
    nfs_set_gid(admin, 0);
    const int rc = nfs_mount(admin, u->server, u->path);
    nfs_destroy_url(u);
    if (rc != 0) return rc;
  }
  return nfs_chmod(admin, path, mode);
}

std::string ReadAll(nfs_context* nfs, nfsfh* fh, int* rc) {
  std::string data;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const int n = nfs_pread(nfs, fh, data.size(), buf.size(), buf.data());
    if (n <= 0) {
      *rc = n < 0 ? n : static_cast<int>(data.size());
      return n < 0 ? std::string() : data;
    }
    data.append(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  nfs_context* nfs = nfs_init_context();
  if (nfs == nullptr) return 1;
  nfs_url* url = nfs_parse_url_dir(nfs, argv[1]);
  if (url == nullptr || nfs_mount(nfs, url->server, url->path) != 0) {
    std::fprintf(stderr, "identity_client: mount %s: %s\n", argv[1], nfs_get_error(nfs));
    return 1;
  }
  nfsfh* fh = nullptr;
  int status = 0;
  for (int i = 2; i < argc && status == 0; ++i) {
    const std::string op = argv[i];
    if (op == "open" && i + 2 < argc) {
      const std::string mode = argv[i + 2];
      const int flags = mode == "r"    ? O_RDONLY
                        : mode == "w"  ? O_WRONLY
                        : mode == "cw" ? O_WRONLY | O_CREAT
                                       : O_RDWR;
      std::printf("open %d\n", nfs_open2(nfs, argv[i + 1], flags, 0644, &fh));
      i += 2;
    } else if ((op == "read" || op == "close") && fh == nullptr) {
      std::printf("%s %d\n", op.c_str(), -EBADF);
    } else if (op == "write" && fh == nullptr && i + 1 < argc) {
      std::printf("write %d\n", -EBADF);
      ++i;
    } else if (op == "read") {
      int rc = 0;
      const std::string data = ReadAll(nfs, fh, &rc);
      std::printf("read %d %s\n", rc, data.c_str());
    } else if (op == "write" && i + 1 < argc) {
      const std::string data = argv[++i];
      std::printf("write %d\n", nfs_pwrite(nfs, fh, 0, data.size(), data.data()));
    } else if (op == "ids" && i + 2 < argc) {
      nfs_set_uid(nfs, std::atoi(argv[i + 1]));
      nfs_set_gid(nfs, std::atoi(argv[i + 2]));
      std::printf("ids\n");
      i += 2;
    } else if (op == "auth" && i + 3 < argc) {
      std::vector<uint32_t> groups = Groups(argv[i + 3]);
      nfs_set_auth(nfs, libnfs_authunix_create("identity-client",
                                               static_cast<uint32_t>(std::atoi(argv[i + 1])),
                                               static_cast<uint32_t>(std::atoi(argv[i + 2])),
                                               static_cast<uint32_t>(groups.size()),
                                               groups.data()));
      std::printf("auth\n");
      i += 3;
    } else if (op == "chmod" && i + 2 < argc) {
      std::printf("chmod %d\n", ChmodAsRoot(argv[1], argv[i + 1],
                                             static_cast<int>(std::strtol(argv[i + 2], nullptr, 8))));
      i += 2;
    } else if (op == "close") {
      std::printf("close %d\n", nfs_close(nfs, fh));
      fh = nullptr;
    } else {
      status = Usage();
    }
    std::fflush(stdout);
  }
  if (fh != nullptr) nfs_close(nfs, fh);
  nfs_destroy_url(url);
  nfs_destroy_context(nfs);
  if (admin != nullptr) nfs_destroy_context(admin);
  return status;
}
