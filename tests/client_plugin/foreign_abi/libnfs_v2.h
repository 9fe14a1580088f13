/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The libnfs >= 6 (API v2) prototypes the shim wraps under 4.0/5.0 names,
 * as fake_libnfs_v2.c implements them and program.c calls them, and what
 * the fake records of the last call. */
#ifndef LOCALIO_TEST_LIBNFS_V2_H
#define LOCALIO_TEST_LIBNFS_V2_H

#include <stdint.h>

struct nfs_context;
struct nfsfh;
typedef void (*nfs_cb)(int status, struct nfs_context *nfs, void *data,
		       void *private_data);

int nfs_pread_async(struct nfs_context *nfs, struct nfsfh *fh, void *buf,
		    uint64_t count, uint64_t offset, nfs_cb cb,
		    void *private_data);
int nfs_pwrite_async(struct nfs_context *nfs, struct nfsfh *fh,
		     const void *buf, uint64_t count, uint64_t offset,
		     nfs_cb cb, void *private_data);
int nfs_pread(struct nfs_context *nfs, struct nfsfh *fh, void *buf,
	      uint64_t count, uint64_t offset);
int nfs_pwrite(struct nfs_context *nfs, struct nfsfh *fh, const void *buf,
	       uint64_t count, uint64_t offset);

struct fake_v2_call {
	struct nfs_context *nfs;
	struct nfsfh *fh;
	const void *buf;
	uint64_t count;
	uint64_t offset;
	nfs_cb cb;
	void *private_data;
};

extern struct fake_v2_call fake_v2_last;

#endif /* LOCALIO_TEST_LIBNFS_V2_H */
