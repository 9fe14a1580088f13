/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Acting as the user the RPC path would act as. The server applies the
// export's squash to the AUTH_SYS identity the libnfs context sends; the
// bypass opens local files as that same (uid, gid, no supplementary groups:
// libnfs 4.0 sends none), so it never grants more than the wire would.
#ifndef LOCALIO_CLIENT_CREDENTIALS_H
#define LOCALIO_CLIENT_CREDENTIALS_H

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "localio/map_types.h"

namespace localio::client {

struct Identity {
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool operator==(const Identity&) const = default;
};

// The identity Ganesha 4.3 (nfs_creds.c) gives a request from `caller` on
// `exp`: all_squash -> anon uid/gid; root_squash and uid 0 -> anon uid/gid;
// root_id_squash and uid 0 -> anon uid; under root_squash or
// root_id_squash a gid of 0 (left after the above) -> anon gid.
Identity SquashedIdentity(const MapExport& exp, Identity caller);

// The thread's filesystem identity switched to `target` (setfsuid,
// setfsgid and a per-thread SYS_setgroups to no groups) for the lifetime of
// the object, and restored after. Nothing is switched when the thread
// already acts as `target` with no supplementary group that `target` lacks
// (root needs none: it passes DAC checks anyway).
class ScopedFsIdentity {
 public:
  explicit ScopedFsIdentity(Identity target);
  ~ScopedFsIdentity();
  ScopedFsIdentity(const ScopedFsIdentity&) = delete;
  ScopedFsIdentity& operator=(const ScopedFsIdentity&) = delete;

  // 0 when the thread now acts as `target`; -EPERM when it cannot (no
  // CAP_SETUID/CAP_SETGID): the caller must not open anything.
  int status() const { return status_; }

 private:
  int status_ = 0;
  bool switched_ = false;
  uid_t old_uid_ = 0;
  gid_t old_gid_ = 0;
  std::vector<gid_t> old_groups_;
};

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_CREDENTIALS_H
