// SPDX-License-Identifier: LGPL-3.0-or-later
#include "safety_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace localio::harness {

Status LocalioMount::Attach(const std::string& export_root_url, const localio_config& cfg,
                            std::unique_ptr<LocalioMount>* out) {
  std::unique_ptr<LocalioMount> m(new LocalioMount());
  if (Status s = NfsSession::Mount(export_root_url, &m->session_); !s.ok()) return s;
  const int rc = localio_attach(m->session_->context(), &cfg, &m->ctx_);
  if (rc != 0 || m->ctx_ == nullptr)
    return Status::Error(rc != 0 ? rc : -EIO, "localio_attach: " + std::string(std::strerror(-rc)));
  *out = std::move(m);
  return Status::Ok();
}

LocalioMount::~LocalioMount() { Detach(); }

void LocalioMount::Detach() {
  if (ctx_ != nullptr) localio_detach(ctx_);
  ctx_ = nullptr;
}

localio_counters LocalioMount::Counters() const {
  localio_counters c{};
  localio_get_counters(ctx_, &c);
  return c;
}

Status MountLocalAndPlain(const GaneshaServer& server, uint16_t id, int version,
                          std::unique_ptr<LocalioMount>* local, std::unique_ptr<NfsSession>* plain) {
  const std::string url = server.Url(id, version, "");
  if (Status s = LocalioMount::Attach(url, ConfigWithMap(server.map_path()), local); !s.ok())
    return s;
  if (localio_is_local((*local)->ctx()) != 1)
    return Status::Error(-EREMOTE, "the LOCALIO client does not find " + url +
                                       " local: " + (*local)->Error());
  return NfsSession::Mount(url, plain);
}

localio_config ConfigWithMap(const std::string& map_path) {
  localio_config cfg;
  localio_config_init(&cfg);
  // The string belongs to the caller's server object, which outlives the
  // attach (the config is only read by localio_attach).
  cfg.map_path = map_path.c_str();
  return cfg;
}

std::string Describe(const localio_counters& c) {
  std::string s = "read " + std::to_string(c.read_ops) + "/" + std::to_string(c.read_bytes) +
                  " B, write " + std::to_string(c.write_ops) + "/" +
                  std::to_string(c.write_bytes) + " B, handshakes " +
                  std::to_string(c.handshakes_ok) + "/" + std::to_string(c.handshakes) +
                  ", fallbacks:";
  for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
    if (c.fallbacks[r] != 0)
      s += " " + std::string(localio_fallback_reason_name(r)) + "=" +
           std::to_string(c.fallbacks[r]);
  return s;
}

namespace {

template <class Pread>
ReadOutcome ReadAll(Pread&& pread_at) {
  ReadOutcome out;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const int n = pread_at(out.data.size(), buf.size(), buf.data());
    if (n < 0) {
      out.rc = n;
      out.data.clear();
      return out;
    }
    if (n == 0) return out;
    out.data.append(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace

ReadOutcome ReadThroughLocalio(localio_context* ctx, nfsfh* fh) {
  return ReadAll([&](uint64_t off, uint64_t n, char* buf) {
    return localio_pread(ctx, fh, off, n, buf);
  });
}

ReadOutcome ReadThroughRpc(nfs_context* nfs, nfsfh* fh) {
  return ReadAll(
      [&](uint64_t off, uint64_t n, char* buf) { return nfs_pread(nfs, fh, off, n, buf); });
}

int WriteThroughLocalio(localio_context* ctx, nfsfh* fh, uint64_t offset,
                        const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    const size_t n = std::min<size_t>(kRpcWriteChunk, data.size() - done);
    const int rc = localio_pwrite(ctx, fh, offset + done, n, data.data() + done);
    if (rc < 0) return rc;
    if (rc == 0) return -EIO;
    done += static_cast<size_t>(rc);
  }
  return 0;
}

Status WriteLocalFile(const std::string& path, const std::string& data, mode_t mode, uid_t uid,
                      gid_t gid) {
  unlink(path.c_str());
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int open_err = errno;
    return Status::Error(-open_err, "create " + path + ": " + std::strerror(open_err));
  }
  const bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0;
  const int err = errno;
  close(fd);
  if (!ok) return Status::Error(-err, "write " + path + ": " + std::strerror(err));
  return Status::Ok();
}

std::string ReadLocalFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Pattern(const std::string& tag, size_t n) {
  std::string s;
  s.reserve(n + 32);
  for (uint64_t i = 0; s.size() < n; ++i) s += tag + ":" + std::to_string(i) + ";";
  s.resize(n);
  return s;
}

}  // namespace localio::harness
