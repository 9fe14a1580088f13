/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* A program with no libnfs at start: it gets one with dlopen, as qemu gets
 * its NFS block driver, then writes and reads back a file (late_io.h).
 *
 * usage: late_libnfs_program MODE NFS-URL BYTES
 *   module-local   dlopen(late_module.so, RTLD_LOCAL): qemu's shape
 *   module-global  the same with RTLD_GLOBAL
 *   libnfs-local   dlopen(libnfs, RTLD_LOCAL), its functions by dlsym in
 *                  that handle (past any preloaded library)
 *   libnfs-global  dlopen(libnfs, RTLD_GLOBAL), its functions by
 *                  dlsym(RTLD_DEFAULT) (as a linked program would bind)
 * The module's path and libnfs's soname are compiled in. Prints
 * "late-libnfs: MODE ok BYTES" on success, exit 0. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "late_io.h"

static void *lookup(void *handle, const char *name, int *missing)
{
	void *f = dlsym(handle, name);
	if (f == NULL) {
		fprintf(stderr, "late-libnfs: %s not found: %s\n", name, dlerror());
		*missing = 1;
	}
	return f;
}

static int run_libnfs(int global, const char *url, size_t bytes)
{
	void *lib = dlopen(LATE_LIBNFS_SONAME, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
	if (lib == NULL) {
		fprintf(stderr, "late-libnfs: dlopen %s: %s\n", LATE_LIBNFS_SONAME, dlerror());
		return -1;
	}
	void *h = global ? RTLD_DEFAULT : lib;
	int missing = 0;
	struct late_libnfs f;
#define LOOK(member, name) *(void **)&f.member = lookup(h, name, &missing)
	LOOK(init_context, "nfs_init_context");
	LOOK(destroy_context, "nfs_destroy_context");
	LOOK(parse_url_full, "nfs_parse_url_full");
	LOOK(destroy_url, "nfs_destroy_url");
	LOOK(mount, "nfs_mount");
	LOOK(open2, "nfs_open2");
	LOOK(close, "nfs_close");
	LOOK(pwrite, "nfs_pwrite");
	LOOK(pread_async, "nfs_pread_async");
	LOOK(get_fd, "nfs_get_fd");
	LOOK(which_events, "nfs_which_events");
	LOOK(service, "nfs_service");
	LOOK(get_error, "nfs_get_error");
#undef LOOK
	return missing ? -1 : late_io_run(&f, url, bytes);
}

static int run_module(int global, const char *url, size_t bytes)
{
	void *module = dlopen(LATE_MODULE_PATH, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
	if (module == NULL) {
		fprintf(stderr, "late-libnfs: dlopen %s: %s\n", LATE_MODULE_PATH, dlerror());
		return -1;
	}
	int (*run)(const char *, size_t) = (int (*)(const char *, size_t))dlsym(module, "late_module_run");
	if (run == NULL) {
		fprintf(stderr, "late-libnfs: late_module_run not found\n");
		return -1;
	}
	return run(url, bytes);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s module-local|module-global|libnfs-local|libnfs-global URL BYTES\n",
			argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	const size_t bytes = strtoull(argv[3], NULL, 0);
	int rc;
	if (strcmp(mode, "module-local") == 0)
		rc = run_module(0, argv[2], bytes);
	else if (strcmp(mode, "module-global") == 0)
		rc = run_module(1, argv[2], bytes);
	else if (strcmp(mode, "libnfs-local") == 0)
		rc = run_libnfs(0, argv[2], bytes);
	else if (strcmp(mode, "libnfs-global") == 0)
		rc = run_libnfs(1, argv[2], bytes);
	else {
		fprintf(stderr, "late-libnfs: unknown mode %s\n", mode);
		return 2;
	}
	if (rc != 0)
		return 1;
	printf("late-libnfs: %s ok %zu\n", mode, bytes);
	return 0;
}
