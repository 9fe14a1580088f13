/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Acting as the user the RPC path would act as. The server applies the
// export's squash to the AUTH_SYS credential the libnfs context sends
// (rpc_credential.h reads it) and its VFS acts as the result: uid, gid and
// that group list. The bypass opens local files as that same identity, so
// the kernel checks what Ganesha would and it never grants more than the
// wire.
#ifndef LOCALIO_CLIENT_CREDENTIALS_H
#define LOCALIO_CLIENT_CREDENTIALS_H

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "localio/map_types.h"

namespace localio::client {

// An AUTH_SYS identity: uid, gid and the supplementary groups (at most 16
// on the wire; the order is the sender's).
struct Identity {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  bool operator==(const Identity&) const = default;
};

// The identity Ganesha (nfs_creds.c, nfs_req_creds, 4.3 and 6.5) gives a
// request from `caller` on `exp`:
// - all_squash, and root_squash of uid 0: anon uid and gid, no groups;
// - root_id_squash of uid 0: anon uid, gid and groups kept;
// - then, under any squash type, a gid 0 and each 0 in the groups become
//   the anon gid;
// - no squash: the caller as sent.
// Exports with Manage_Gids (the server's own group database) have no row
// in the map (fsal_localio/export_access.c), so the groups are the caller's.
Identity SquashedIdentity(const MapExport& exp, const Identity& caller);

// The thread's filesystem identity switched to `target` (a per-thread
// SYS_setgroups to target.groups, setfsgid, setfsuid) for the lifetime of
// the object, and restored after. Nothing is switched when the thread
// already acts as `target`: its fsuid and fsgid are target's, and its
// group membership ({fsgid} and its supplementary groups) is exactly
// target's ({gid} and groups). Equal, not a subset: fewer groups can grant
// more (a file of group G, mode 0604, is readable by a non-member through
// "other" and not by a member). A target of uid 0 is met by fsuid 0 and
// the same fsgid whatever the groups: the server lets uid 0 read and write
// any regular file (access_check.c, is_superuser), so the local open can at
// most match it (without CAP_DAC_OVERRIDE it may get less, and then RPC
// serves the I/O).
class ScopedFsIdentity {
 public:
  explicit ScopedFsIdentity(const Identity& target);
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
