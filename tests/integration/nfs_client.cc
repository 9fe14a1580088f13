// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-nfs-client: a small libnfs 4.0 program for the integration tests,
// doing what the stock nfs-* utilities cannot (mkdir, rename, unlink, rmdir,
// stat) and writing files in chosen chunk sizes, and a writer that asks
// for the size of a file it is still writing.
//   localio-nfs-client <export-root-url> <op> [args]
// Paths are relative to the export root. Exit 0 on success, 1 when the NFS
// operation fails (stderr names it with libnfs's message), 2 on bad usage.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>  // libnfs 4.0's header needs struct timeval first
#include <nfsc/libnfs.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr char kUsage[] =
    "usage: localio-nfs-client <export-root-url> <op> [args]\n"
    "  mkdir PATH | rmdir PATH | unlink PATH | rename FROM TO\n"
    "  stat PATH            prints: type=file|dir|other size=N\n"
    "  put LOCAL PATH [CHUNK]  create/truncate PATH, write LOCAL in CHUNK-byte writes\n"
    "  grow PATH N          append N bytes to PATH with nfs_pwrite, a quarter before each\n"
    "                       probe, and print: before=S readdir=S fstat=S stat=S seek_end=S\n";

struct Mount {
  nfs_context* nfs = nullptr;
  nfs_url* url = nullptr;
  ~Mount() {
    if (url != nullptr) nfs_destroy_url(url);
    if (nfs != nullptr) nfs_destroy_context(nfs);
  }
};

int Fail(const Mount& m, const std::string& what) {
  std::fprintf(stderr, "localio-nfs-client: %s: %s\n", what.c_str(), nfs_get_error(m.nfs));
  return 1;
}

std::string Slash(const std::string& path) { return path.empty() || path[0] != '/' ? "/" + path : path; }

int Put(Mount& m, const std::string& local, const std::string& path, size_t chunk) {
  std::ifstream in(local, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "localio-nfs-client: cannot read %s\n", local.c_str());
    return 2;
  }
  nfsfh* fh = nullptr;
  if (nfs_open2(m.nfs, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh) != 0) {
    return Fail(m, "open " + path);
  }
  std::vector<char> buf(chunk);
  uint64_t offset = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t n = static_cast<size_t>(in.gcount());
    size_t done = 0;
    while (done < n) {
      int w = nfs_pwrite(m.nfs, fh, offset + done, n - done, buf.data() + done);
      if (w <= 0) {
        int rc = Fail(m, "write " + path + " at " + std::to_string(offset + done));
        nfs_close(m.nfs, fh);
        return rc;
      }
      done += static_cast<size_t>(w);
    }
    offset += n;
  }
  if (nfs_close(m.nfs, fh) != 0) return Fail(m, "close " + path);
  std::printf("wrote %llu bytes\n", static_cast<unsigned long long>(offset));
  return 0;
}

// The writer's own view of a file it grows: N/4 bytes more before each way
// libnfs asks the server for the size (a listing of its directory, fstat,
// stat by path, lseek from the end), the file still open.
int Grow(Mount& m, const std::string& path, uint64_t n) {
  nfsfh* fh = nullptr;
  if (nfs_open(m.nfs, path.c_str(), O_RDWR, &fh) != 0) return Fail(m, "open " + path);
  nfs_stat_64 st{};
  int rc = nfs_fstat64(m.nfs, fh, &st) == 0 ? 0 : Fail(m, "fstat " + path);
  uint64_t size = st.nfs_size;
  std::string out = "before=" + std::to_string(size);
  const std::vector<char> buf(n / 4, 'g');
  const size_t slash = path.rfind('/');
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  for (const char* probe : {"readdir", "fstat", "stat", "seek_end"}) {
    for (uint64_t done = 0; rc == 0 && done < buf.size();) {
      const int w = nfs_pwrite(m.nfs, fh, size + done, buf.size() - done, buf.data() + done);
      if (w <= 0) rc = Fail(m, "write " + path);
      else done += static_cast<uint64_t>(w);
    }
    if (rc != 0) break;
    size += buf.size();
    const std::string name = probe;
    uint64_t seen = 0;
    if (name == "readdir") {
      nfsdir* d = nullptr;
      if (nfs_opendir(m.nfs, dir.c_str(), &d) != 0) {
        rc = Fail(m, "opendir " + dir);
        break;
      }
      for (nfsdirent* e; (e = nfs_readdir(m.nfs, d)) != nullptr;)
        if (path.compare(slash + 1, std::string::npos, e->name) == 0) seen = e->size;
      nfs_closedir(m.nfs, d);
    } else if (name == "fstat") {
      if (nfs_fstat64(m.nfs, fh, &st) != 0) rc = Fail(m, "fstat " + path);
      seen = st.nfs_size;
    } else if (name == "stat") {
      if (nfs_stat64(m.nfs, path.c_str(), &st) != 0) rc = Fail(m, "stat " + path);
      seen = st.nfs_size;
    } else if (nfs_lseek(m.nfs, fh, 0, SEEK_END, &seen) != 0) {
      rc = Fail(m, "lseek " + path);
    }
    out += " " + name + "=" + std::to_string(seen);
  }
  if (rc == 0) std::printf("%s\n", out.c_str());
  if (nfs_close(m.nfs, fh) != 0 && rc == 0) rc = Fail(m, "close " + path);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  Mount m;
  m.nfs = nfs_init_context();
  if (m.nfs == nullptr) {
    std::fprintf(stderr, "localio-nfs-client: nfs_init_context failed\n");
    return 1;
  }
  m.url = nfs_parse_url_dir(m.nfs, argv[1]);
  if (m.url == nullptr) return Fail(m, std::string("bad URL ") + argv[1]);
  if (nfs_mount(m.nfs, m.url->server, m.url->path) != 0) {
    return Fail(m, std::string("mount ") + m.url->path);
  }
  const std::string op = argv[2];
  const std::string a = Slash(argv[3]);
  if (op == "mkdir" && argc == 4) {
    return nfs_mkdir(m.nfs, a.c_str()) == 0 ? 0 : Fail(m, "mkdir " + a);
  } else if (op == "rmdir" && argc == 4) {
    return nfs_rmdir(m.nfs, a.c_str()) == 0 ? 0 : Fail(m, "rmdir " + a);
  } else if (op == "unlink" && argc == 4) {
    return nfs_unlink(m.nfs, a.c_str()) == 0 ? 0 : Fail(m, "unlink " + a);
  } else if (op == "rename" && argc == 5) {
    const std::string b = Slash(argv[4]);
    return nfs_rename(m.nfs, a.c_str(), b.c_str()) == 0 ? 0 : Fail(m, "rename " + a + " " + b);
  } else if (op == "stat" && argc == 4) {
    nfs_stat_64 st{};
    if (nfs_stat64(m.nfs, a.c_str(), &st) != 0) return Fail(m, "stat " + a);
    const char* type = S_ISDIR(st.nfs_mode) ? "dir" : S_ISREG(st.nfs_mode) ? "file" : "other";
    std::printf("type=%s size=%llu\n", type, static_cast<unsigned long long>(st.nfs_size));
    return 0;
  } else if (op == "put" && (argc == 5 || argc == 6)) {
    const long chunk = argc == 6 ? std::strtol(argv[5], nullptr, 10) : 1 << 20;
    if (chunk <= 0) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    return Put(m, argv[3], Slash(argv[4]), static_cast<size_t>(chunk));
  } else if (op == "grow" && argc == 5) {
    return Grow(m, a, std::strtoull(argv[4], nullptr, 10));
  }
  std::fputs(kUsage, stderr);
  return 2;
}
