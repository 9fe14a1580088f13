// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/nfs_session.h"

#include <unistd.h>

#include <cerrno>

#include <fcntl.h>
#include <nfsc/libnfs-raw.h>

// libnfs 4.0's file handle (libnfs-private.h); its public headers only
// declare it. nfs_get_fh() returns the handle as sent on the wire.
struct nfs_fh {
  int len;
  char* val;
};

namespace localio::harness {

namespace {

std::string Slash(const std::string& path) {
  return path.empty() || path[0] != '/' ? "/" + path : path;
}

}  // namespace

Status NfsSession::Mount(const std::string& export_root_url, std::unique_ptr<NfsSession>* out,
                         int timeout_ms) {
  static int sessions = 0;
  std::unique_ptr<NfsSession> s(new NfsSession());
  s->nfs_ = nfs_init_context();
  if (s->nfs_ == nullptr) return Status::Error(-ENOMEM, "nfs_init_context failed");
  nfs_set_timeout(s->nfs_, timeout_ms);
  const std::string name =
      "localio-test-" + std::to_string(getpid()) + "-" + std::to_string(++sessions);
  nfs4_set_client_name(s->nfs_, name.c_str());
  s->url_ = nfs_parse_url_dir(s->nfs_, export_root_url.c_str());
  if (s->url_ == nullptr) return s->Fail("bad URL " + export_root_url);
  if (nfs_mount(s->nfs_, s->url_->server, s->url_->path) != 0) {
    return s->Fail("mount " + export_root_url);
  }
  *out = std::move(s);
  return Status::Ok();
}

NfsSession::~NfsSession() {
  if (url_ != nullptr) nfs_destroy_url(url_);
  if (nfs_ != nullptr) nfs_destroy_context(nfs_);
}

std::string NfsSession::Error() const {
  const char* why = nfs_ != nullptr ? nfs_get_error(nfs_) : nullptr;
  return why != nullptr ? why : "no libnfs error";
}

Status NfsSession::Fail(const std::string& what) const {
  return Status::Error(-EIO, what + ": " + Error());
}

Status NfsSession::Open(const std::string& path, int flags, nfsfh** fh) {
  if (nfs_open(nfs_, Slash(path).c_str(), flags, fh) != 0) return Fail("open " + path);
  return Status::Ok();
}

Status NfsSession::Close(nfsfh* fh) {
  if (nfs_close(nfs_, fh) != 0) return Fail("close");
  return Status::Ok();
}

std::vector<uint8_t> NfsSession::WireHandle(nfsfh* fh) {
  const nfs_fh* raw = nfs_get_fh(fh);
  if (raw == nullptr || raw->val == nullptr || raw->len <= 0) return {};
  const auto* bytes = reinterpret_cast<const uint8_t*>(raw->val);
  return std::vector<uint8_t>(bytes, bytes + raw->len);
}

Status NfsSession::ReadAll(nfsfh* fh, std::string* data, size_t chunk) {
  data->clear();
  std::vector<char> buf(chunk);
  for (;;) {
    const int n = nfs_pread(nfs_, fh, data->size(), buf.size(), buf.data());
    if (n < 0) return Fail("read at " + std::to_string(data->size()));
    if (n == 0) return Status::Ok();
    data->append(buf.data(), static_cast<size_t>(n));
  }
}

Status NfsSession::ReadFile(const std::string& path, std::string* data) {
  nfsfh* fh = nullptr;
  if (Status s = Open(path, O_RDONLY, &fh); !s.ok()) return s;
  Status read = ReadAll(fh, data);
  Status closed = Close(fh);
  return read.ok() ? closed : read;
}

Status NfsSession::Size(nfsfh* fh, uint64_t* size) {
  nfs_stat_64 st{};
  if (nfs_fstat64(nfs_, fh, &st) != 0) return Fail("fstat");
  *size = st.nfs_size;
  return Status::Ok();
}

}  // namespace localio::harness
