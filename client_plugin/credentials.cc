// SPDX-License-Identifier: LGPL-3.0-or-later
#include "credentials.h"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace localio::client {

Identity SquashedIdentity(const MapExport& exp, const Identity& caller) {
  Identity out = caller;
  switch (exp.squash) {
    case MapSquash::kNone:
      return out;
    case MapSquash::kAllSquash:
      return {exp.anon_uid, exp.anon_gid, {}};
    case MapSquash::kRootSquash:
      if (caller.uid == 0) return {exp.anon_uid, exp.anon_gid, {}};
      break;
    case MapSquash::kRootIdSquash:
      if (caller.uid == 0) out.uid = exp.anon_uid;
      break;
  }
  if (out.gid == 0) out.gid = exp.anon_gid;
  std::replace(out.groups.begin(), out.groups.end(), 0u, exp.anon_gid);
  return out;
}

namespace {

// The thread's current fsuid/fsgid: an invalid id (-1) changes nothing
// and returns the current value.
uid_t CurrentFsUid() { return static_cast<uid_t>(setfsuid(static_cast<uid_t>(-1))); }
gid_t CurrentFsGid() { return static_cast<gid_t>(setfsgid(static_cast<gid_t>(-1))); }

// glibc's setgroups() changes every thread; the raw system call only ours.
int ThreadSetGroups(const std::vector<gid_t>& groups) {
  return syscall(SYS_setgroups, groups.size(), groups.data()) == 0 ? 0 : -errno;
}

// {gid} and `groups` as a sorted set.
std::vector<gid_t> Membership(gid_t gid, const std::vector<gid_t>& groups) {
  std::vector<gid_t> all(groups);
  all.push_back(gid);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace

ScopedFsIdentity::ScopedFsIdentity(const Identity& target) {
  old_uid_ = CurrentFsUid();
  old_gid_ = CurrentFsGid();
  const int n = getgroups(0, nullptr);
  if (n < 0) {
    status_ = -errno;
    return;
  }
  old_groups_.resize(static_cast<size_t>(n));
  if (n > 0 && getgroups(n, old_groups_.data()) != n) {
    status_ = -EAGAIN;
    return;
  }
  const std::vector<gid_t> groups(target.groups.begin(), target.groups.end());
  if (old_uid_ == target.uid && old_gid_ == target.gid &&
      (target.uid == 0 || Membership(old_gid_, old_groups_) == Membership(target.gid, groups)))
    return;

  switched_ = true;
  // Groups and gid first: once the fsuid is dropped we may lack the right.
  if (ThreadSetGroups(groups) != 0) {
    status_ = -EPERM;
    return;
  }
  setfsgid(target.gid);
  setfsuid(target.uid);
  if (CurrentFsGid() != target.gid || CurrentFsUid() != target.uid) status_ = -EPERM;
}

ScopedFsIdentity::~ScopedFsIdentity() {
  if (!switched_) return;
  setfsuid(old_uid_);
  setfsgid(old_gid_);
  ThreadSetGroups(old_groups_);
}

}  // namespace localio::client
