/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Validation of LOCALIO's configuration values (see localio_config.h). */
#include "localio_config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localio/path_rules.h"

static bool localio_absolute_path_valid(const char *path, const char **why)
{
	if (path == NULL || path[0] == '\0') {
		*why = "is empty";
		return false;
	}
	if (path[0] != '/') {
		*why = "must be an absolute path (start with '/')";
		return false;
	}
	if (strnlen(path, PATH_MAX) >= PATH_MAX) {
		*why = "is longer than PATH_MAX";
		return false;
	}
	return true;
}

bool localio_client_root_valid(const char *path, const char **why)
{
	if (!localio_absolute_path_valid(path, why))
		return false;
	/* A client resolves files beneath this root; ".." would let the
	 * configured root point somewhere other than what it reads as. */
	if (localio_path_has_dotdot(path)) {
		*why = "must not contain a \"..\" component";
		return false;
	}
	return true;
}

bool localio_map_path_valid(const char *path, const char **why)
{
	return path == NULL || localio_absolute_path_valid(path, why);
}

bool localio_map_mode_valid(uint32_t mode, const char **why)
{
	if (mode > 0777) {
		*why = "has bits beyond 0777 (permission bits only)";
		return false;
	}
	/* Clients refuse a map another uid than the server's may write
	 * (localio/trusted_dir.h); the hello file takes group write from the
	 * map's group read by itself. */
	if (mode & LOCALIO_MAP_FORBIDDEN_WRITE) {
		*why = "lets group or others write the map, and clients trust only a map no one but the server may write (give the group read: the hello file then gets group write)";
		return false;
	}
	return true;
}

int localio_map_group_resolve(const char *name, gid_t *gid)
{
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 16384;

	for (;;) {
		struct group grp;
		struct group *found = NULL;
		char *buf = malloc(size);

		if (buf == NULL)
			return -ENOMEM;
		int rc = getgrnam_r(name, &grp, buf, size, &found);

		if (rc == 0 && found != NULL)
			*gid = found->gr_gid;
		free(buf);
		if (rc == ERANGE && size < (1u << 20)) {
			size *= 2;
			continue;
		}
		if (rc != 0)
			return -rc;
		return found != NULL ? 0 : -ENOENT;
	}
}
