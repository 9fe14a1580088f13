/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* A plugin module linked to libnfs, as qemu's block-nfs.so is: the program
 * loads it with dlopen after start. Its libnfs calls bind as the dynamic
 * linker binds a module's (the global scope first, then its own). */
#include "late_io.h"

int late_module_run(const char *url, size_t bytes);

int late_module_run(const char *url, size_t bytes)
{
	const struct late_libnfs f = {
		nfs_init_context, nfs_destroy_context, nfs_parse_url_full, nfs_destroy_url,
		nfs_mount,        nfs_open2,           nfs_close,          nfs_pwrite,
		nfs_pread_async,  nfs_get_fd,          nfs_which_events,   nfs_service,
		nfs_get_error,
	};
	return late_io_run(&f, url, bytes);
}
