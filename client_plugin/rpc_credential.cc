// SPDX-License-Identifier: LGPL-3.0-or-later
#include "rpc_credential.h"

#include <malloc.h>

#include <nfsc/libnfs-zdr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace localio::client {

namespace {

// The probe's credential: ids no real context sends by chance.
constexpr uint32_t kProbeUid = 0x4c4f4341;  // "LOCA"
constexpr uint32_t kProbeGid = 0x4c494f21;  // "LIO!"

// The credential's body as `auth` holds it, at most kMaxAuthBody bytes
// (a longer one is refused by DecodeCredential through its length).
std::span<const uint8_t> BodyOf(const AUTH* auth) {
  if (auth->ah_cred.oa_base == nullptr) return {};
  return {reinterpret_cast<const uint8_t*>(auth->ah_cred.oa_base),
          std::min<size_t>(auth->ah_cred.oa_length, rpc::kMaxAuthBody)};
}

const AUTH* AuthAt(const unsigned char* slot) {
  const AUTH* auth;
  std::memcpy(&auth, slot, sizeof auth);
  return auth;
}

// DecodeCredential of what `auth` holds.
Status DecodeAuth(const AUTH* auth, Identity* out) {
  if (auth->ah_cred.oa_length > rpc::kMaxAuthBody)
    return Status::Error(-EINVAL, "its credential's body is " +
                                      std::to_string(auth->ah_cred.oa_length) +
                                      " bytes, more than RFC 5531's " +
                                      std::to_string(rpc::kMaxAuthBody));
  return DecodeCredential(auth->ah_cred.oa_flavor, BodyOf(auth), out);
}

}  // namespace

Status DecodeCredential(uint32_t flavor, std::span<const uint8_t> body, Identity* out) {
  if (flavor == static_cast<uint32_t>(rpc::AuthFlavor::kNone))
    return Status::Error(-EPERM, "the context sends AUTH_NONE: there is no user to act as");
  if (flavor != static_cast<uint32_t>(rpc::AuthFlavor::kSys))
    return Status::Error(-EPERM, "the context sends credential flavor " + std::to_string(flavor) +
                                     ", not AUTH_SYS");
  rpc::AuthSys sys;
  if (!rpc::DecodeAuthSysBody(body, &sys))
    return Status::Error(-EINVAL, "the context's AUTH_SYS credential (" +
                                      std::to_string(body.size()) +
                                      " bytes) is not one authsys_parms");
  *out = Identity{sys.uid, sys.gid, std::move(sys.gids)};
  return Status::Ok();
}

Status ProbeAuthOffset(const LibnfsCalls& libnfs, size_t* offset) {
  if (libnfs.rpc_init_context == nullptr || libnfs.rpc_destroy_context == nullptr ||
      libnfs.rpc_set_auth == nullptr || libnfs.authsys_create == nullptr)
    return Status::Error(-ENOSYS, "libnfs's rpc_init_context, rpc_set_auth, "
                                  "rpc_destroy_context or libnfs_authunix_create is missing");
  rpc_context* const rpc = libnfs.rpc_init_context();
  if (rpc == nullptr) return Status::Error(-ENOMEM, "rpc_init_context failed");
  uint32_t groups[] = {kProbeGid + 1, kProbeGid + 2};
  AUTH* const auth = libnfs.authsys_create("localio-probe", kProbeUid, kProbeGid, 2, groups);
  if (auth == nullptr) {
    libnfs.rpc_destroy_context(rpc);
    return Status::Error(-ENOMEM, "libnfs_authunix_create failed");
  }
  libnfs.rpc_set_auth(rpc, auth);  // the context owns it now
  const auto* bytes = reinterpret_cast<const unsigned char*>(rpc);
  const size_t size = std::min(kAuthProbeBytes, malloc_usable_size(rpc));
  std::vector<size_t> hits;
  for (size_t at = 0; at + sizeof auth <= size; at += alignof(AUTH*))
    if (AuthAt(bytes + at) == auth) hits.push_back(at);

  Status st;
  Identity seen;
  if (hits.size() != 1) {
    st = Status::Error(-ENOENT, "the AUTH pointer set by rpc_set_auth is found " +
                                    std::to_string(hits.size()) + " times in the first " +
                                    std::to_string(size) +
                                    " bytes of an rpc_context, not once");
  } else if (Status d = DecodeAuth(AuthAt(bytes + hits[0]), &seen); !d.ok()) {
    st = Status::Error(-EINVAL, "the AUTH libnfs_authunix_create made does not decode: " +
                                    d.message);
  } else if (seen != Identity{kProbeUid, kProbeGid, {groups[0], groups[1]}}) {
    st = Status::Error(-EINVAL, "the AUTH libnfs_authunix_create made decodes to other ids "
                                "than it was made with");
  } else {
    *offset = hits[0];
  }
  libnfs.rpc_destroy_context(rpc);
  return st;
}

Status AuthOffset(const LibnfsCalls& libnfs, size_t* offset) {
  static const std::pair<Status, size_t> probed = [&libnfs] {
    size_t at = 0;
    Status st = ProbeAuthOffset(libnfs, &at);
    return std::make_pair(std::move(st), at);
  }();
  *offset = probed.second;
  return probed.first;
}

RpcCredential::RpcCredential(const LibnfsCalls& libnfs, nfs_context* nfs) {
  size_t offset = 0;
  if (nfs == nullptr || libnfs.get_rpc_context == nullptr) {
    unreadable_ = Status::Error(-EINVAL, "no nfs_context to read the credential of");
  } else if (Status st = AuthOffset(libnfs, &offset); !st.ok()) {
    unreadable_ = Status::Error(st.code, "libnfs's rpc_context cannot be read: " + st.message);
  } else if (rpc_context* rpc = libnfs.get_rpc_context(nfs); rpc == nullptr) {
    unreadable_ = Status::Error(-EINVAL, "the nfs_context has no rpc_context");
  } else {
    slot_ = reinterpret_cast<const unsigned char*>(rpc) + offset;
  }
}

const AUTH* RpcCredential::Auth() const { return AuthAt(slot_); }

Status RpcCredential::Read(Identity* out) {
  if (slot_ == nullptr) return unreadable_;
  seen_ = true;
  const AUTH* auth = Auth();
  if (auth == nullptr) {
    flavor_ = 0;
    length_ = 0;
    null_auth_ = true;
    return Status::Error(-EPERM, "the context holds no credential");
  }
  null_auth_ = false;
  flavor_ = auth->ah_cred.oa_flavor;
  length_ = auth->ah_cred.oa_length;
  const std::span<const uint8_t> body = BodyOf(auth);
  std::copy(body.begin(), body.end(), body_.begin());
  return DecodeAuth(auth, out);
}

bool RpcCredential::Current() const {
  if (slot_ == nullptr) return true;
  const AUTH* auth = Auth();
  if (auth == nullptr || null_auth_) return seen_ && auth == nullptr && null_auth_;
  if (!seen_ || auth->ah_cred.oa_flavor != flavor_ || auth->ah_cred.oa_length != length_)
    return false;
  const std::span<const uint8_t> body = BodyOf(auth);
  return body.empty() || std::memcmp(body.data(), body_.data(), body.size()) == 0;
}

}  // namespace localio::client
