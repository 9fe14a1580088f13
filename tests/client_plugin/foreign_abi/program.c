/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* A program built for libnfs >= 6 (here fake_libnfs_v2.c): calls the v2
 * prototypes and checks that every argument reached its library as it
 * passed them, and every callback came back to it. Exit 0 when all did;
 * otherwise 1, naming the first difference. Built with
 * FOREIGN_ABI_MODULE, the same code is a module whose foreign_abi_run() a
 * program loads with dlopen after start (late_loader.c). */
#include <stdio.h>

#include "libnfs_v2.h"

static int failures;
static int callbacks;

static void expect(int ok, const char *call, const char *what)
{
	if (!ok && failures++ == 0)
		printf("%s: %s did not arrive as passed\n", call, what);
}

static void done(int status, struct nfs_context *nfs, void *data,
		 void *private_data)
{
	(void)nfs;
	(void)data;
	expect(status == 4096, "callback", "status");
	expect(private_data == (void *)&callbacks, "callback", "private_data");
	callbacks++;
}

static void check(const char *call, int rc, char *buf, nfs_cb cb,
		  void *private_data)
{
	expect(rc == 0 || rc == 4096, call, "the result");
	expect(fake_v2_last.nfs == (struct nfs_context *)0x1111, call, "nfs");
	expect(fake_v2_last.fh == (struct nfsfh *)0x2222, call, "fh");
	expect(fake_v2_last.buf == buf, call, "buf");
	expect(fake_v2_last.count == 4096, call, "count");
	expect(fake_v2_last.offset == 0x123456789ull, call, "offset");
	expect(fake_v2_last.cb == cb, call, "cb");
	expect(fake_v2_last.private_data == private_data, call,
	       "private_data (the 7th argument, on the stack)");
}

#ifdef FOREIGN_ABI_MODULE
int foreign_abi_run(void);
int foreign_abi_run(void)
#else
int main(void)
#endif
{
	struct nfs_context *nfs = (struct nfs_context *)0x1111;
	struct nfsfh *fh = (struct nfsfh *)0x2222;
	static char buf[4096];
	int rc;

	rc = nfs_pread_async(nfs, fh, buf, 4096, 0x123456789ull, done,
			     &callbacks);
	check("nfs_pread_async", rc, buf, done, &callbacks);
	rc = nfs_pwrite_async(nfs, fh, buf, 4096, 0x123456789ull, done,
			      &callbacks);
	check("nfs_pwrite_async", rc, buf, done, &callbacks);
	rc = nfs_pread(nfs, fh, buf, 4096, 0x123456789ull);
	check("nfs_pread", rc, buf, NULL, NULL);
	rc = nfs_pwrite(nfs, fh, buf, 4096, 0x123456789ull);
	check("nfs_pwrite", rc, buf, NULL, NULL);
	expect(callbacks == 2, "callbacks", "both");
	if (failures == 0)
		puts("every argument reached libnfs.so.16 as passed");
	return failures == 0 ? 0 : 1;
}
