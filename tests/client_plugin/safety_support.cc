// SPDX-License-Identifier: LGPL-3.0-or-later
#include "safety_support.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "localio_client_clock.h"

namespace localio::harness {

Status LocalioMount::Attach(const std::string& export_root_url, const localio_config& cfg,
                            std::unique_ptr<LocalioMount>* out, const Clock& clock) {
  std::unique_ptr<LocalioMount> m(new LocalioMount());
  if (Status s = NfsSession::Mount(export_root_url, &m->session_); !s.ok()) return s;
  const int rc = client::AttachOnClock(m->session_->context(), &cfg, clock, &m->ctx_);
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
                          std::unique_ptr<LocalioMount>* local, std::unique_ptr<NfsSession>* plain,
                          const Clock& clock) {
  const std::string url = server.Url(id, version, "");
  if (Status s = LocalioMount::Attach(url, ConfigWithMap(server.map_path()), local, clock);
      !s.ok())
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

void PrintTo(const ReadOutcome& r, std::ostream* os) {
  *os << "rc " << r.rc << ", " << r.data.size() << " bytes";
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

ReadOutcome ReadThroughLocalioAsync(localio_context* ctx, nfsfh* fh) {
  struct Call {
    bool done = false;
    int err = 0;
    char* buf = nullptr;
  };
  return ReadAll([&](uint64_t off, uint64_t n, char* buf) {
    // On the heap: a call that does not complete in time may still do so
    // later, and then finds this (with nowhere to copy to).
    auto* call = new Call{false, 0, buf};
    const int rc = localio_pread_async(
        ctx, fh, off, n,
        [](int err, nfs_context*, void* data, void* private_data) {
          auto* c = static_cast<Call*>(private_data);
          c->done = true;
          c->err = err;
          if (err > 0 && c->buf != nullptr) std::memcpy(c->buf, data, static_cast<size_t>(err));
        },
        call);
    if (rc < 0) {
      delete call;
      return rc;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!call->done && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{localio_get_fd(ctx), static_cast<short>(localio_which_events(ctx)), 0};
      if (pfd.fd < 0 || poll(&pfd, 1, 100) < 0 || localio_service(ctx, pfd.revents) < 0) break;
    }
    if (!call->done) {
      call->buf = nullptr;
      return -ETIMEDOUT;
    }
    const int err = call->err;
    delete call;
    return err;
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

std::string Pattern(const std::string& tag, size_t n) {
  std::string s;
  s.reserve(n + 32);
  for (uint64_t i = 0; s.size() < n; ++i) s += tag + ":" + std::to_string(i) + ";";
  s.resize(n);
  return s;
}

}  // namespace localio::harness
