/* SPDX-License-Identifier: LGPL-3.0-or-later */
// libnfs's file handle as nfs_get_fh() (libnfs-raw.h) returns it: the handle
// as sent on the wire. libnfs 4.0 and 5.0.2 define it in libnfs-private.h
// and only declare it in their public headers; the layout is the same in
// both.
#ifndef LOCALIO_CLIENT_LIBNFS_FH_H
#define LOCALIO_CLIENT_LIBNFS_FH_H

struct nfs_fh {
  int len;
  char* val;
};

#endif  // LOCALIO_CLIENT_LIBNFS_FH_H
