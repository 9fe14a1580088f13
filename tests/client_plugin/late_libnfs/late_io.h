/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The I/O of late_libnfs_program (see there), on libnfs functions the
 * caller found one way or another: linked by a module, or looked up with
 * dlsym in a handle or in the global scope. */
#ifndef LOCALIO_TESTS_LATE_IO_H
#define LOCALIO_TESTS_LATE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <nfsc/libnfs.h>

struct late_libnfs {
	struct nfs_context *(*init_context)(void);
	void (*destroy_context)(struct nfs_context *);
	struct nfs_url *(*parse_url_full)(struct nfs_context *, const char *);
	void (*destroy_url)(struct nfs_url *);
	int (*mount)(struct nfs_context *, const char *, const char *);
	int (*open2)(struct nfs_context *, const char *, int, int, struct nfsfh **);
	int (*close)(struct nfs_context *, struct nfsfh *);
	int (*pwrite)(struct nfs_context *, struct nfsfh *, uint64_t, uint64_t, const void *);
	int (*pread_async)(struct nfs_context *, struct nfsfh *, uint64_t, uint64_t, nfs_cb,
			   void *);
	int (*get_fd)(struct nfs_context *);
	int (*which_events)(struct nfs_context *);
	int (*service)(struct nfs_context *, int);
	char *(*get_error)(struct nfs_context *);
};

/* Creates the file of `url`, writes `bytes` of a pattern with nfs_pwrite,
 * reads them back with nfs_pread_async from a poll + nfs_service loop and
 * checks them. 0 on success; else prints one line on stderr and returns -1. */
int late_io_run(const struct late_libnfs *nfs, const char *url, size_t bytes);

#endif
