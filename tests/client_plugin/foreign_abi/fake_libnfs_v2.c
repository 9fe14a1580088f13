/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* A stand-in for libnfs >= 6 (API v2, LIBNFS_API_V2), which Debian does not
 * ship: the calls whose prototypes changed, with v2's argument order
 * (buf, count, offset) and v2's seven-argument async reads and writes. Each
 * completes at once and reports its arguments, so the program linked with
 * it (program.c) can tell whether they arrived as it passed them. Built
 * with soname libnfs.so.16. */
#include <stddef.h>

#include "libnfs_v2.h"

struct fake_v2_call fake_v2_last;

static void record(struct nfs_context *nfs, struct nfsfh *fh, const void *buf,
		   uint64_t count, uint64_t offset, nfs_cb cb,
		   void *private_data)
{
	fake_v2_last.nfs = nfs;
	fake_v2_last.fh = fh;
	fake_v2_last.buf = buf;
	fake_v2_last.count = count;
	fake_v2_last.offset = offset;
	fake_v2_last.cb = cb;
	fake_v2_last.private_data = private_data;
}

int nfs_pread_async(struct nfs_context *nfs, struct nfsfh *fh, void *buf,
		    uint64_t count, uint64_t offset, nfs_cb cb,
		    void *private_data)
{
	record(nfs, fh, buf, count, offset, cb, private_data);
	cb((int)count, nfs, buf, private_data);
	return 0;
}

int nfs_pwrite_async(struct nfs_context *nfs, struct nfsfh *fh,
		     const void *buf, uint64_t count, uint64_t offset,
		     nfs_cb cb, void *private_data)
{
	record(nfs, fh, buf, count, offset, cb, private_data);
	cb((int)count, nfs, NULL, private_data);
	return 0;
}

int nfs_pread(struct nfs_context *nfs, struct nfsfh *fh, void *buf,
	      uint64_t count, uint64_t offset)
{
	record(nfs, fh, buf, count, offset, NULL, NULL);
	return (int)count;
}

int nfs_pwrite(struct nfs_context *nfs, struct nfsfh *fh, const void *buf,
	       uint64_t count, uint64_t offset)
{
	record(nfs, fh, buf, count, offset, NULL, NULL);
	return (int)count;
}
