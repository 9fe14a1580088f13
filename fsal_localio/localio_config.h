/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Validation of LOCALIO's configuration values.
 *
 * Plain functions with no Ganesha dependency, so they can be tested without
 * a server. Ganesha's config_item tables (main.c, export_config.c) parse the
 * values; these functions decide whether a parsed value is acceptable and
 * say why not.
 */
#ifndef LOCALIO_CONFIG_H
#define LOCALIO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "localio/defaults.h"

/* The module-wide LOCALIO { } block, as parsed. Strings are owned by the
 * struct (Ganesha's parser allocates them with gsh_strdup). */
struct localio_module_config {
	char *map_path;		/* shared map file, absolute; NULL: default */
	char *map_dir;		/* Map_Directory: where the default one goes */
	uint32_t map_mode;	/* permission bits of the map file */
	char *map_group;	/* group owning the map, NULL = server's own */
	gid_t map_gid;		/* resolved map_group, valid if map_group */
	uint32_t max_entries;	/* capacity of the map */
	uint16_t port;		/* LOCALIO listener port, 0 = ephemeral */
};

/* Checks a Client_Root value: absolute, shorter than PATH_MAX, no ".."
 * component. Returns true if acceptable; otherwise false and *why names the
 * problem in a short static sentence. */
bool localio_client_root_valid(const char *path, const char **why);

/* Checks a Map_Path or Map_Directory value: absolute, shorter than
 * PATH_MAX, no ".." component. NULL (not set) is valid. Same contract as
 * localio_client_root_valid. */
bool localio_map_path_valid(const char *path, const char **why);

/* Checks a Map_Mode value: permission bits only, and no write bit for
 * group or others (LOCALIO_MAP_FORBIDDEN_WRITE). Same contract as
 * localio_client_root_valid. */
bool localio_map_mode_valid(uint32_t mode, const char **why);

/* Resolves a Map_Group name to its gid with getgrnam_r. Returns 0 and sets
 * *gid, -ENOENT if no such group exists, or another negative errno if the
 * group database could not be read. */
int localio_map_group_resolve(const char *name, gid_t *gid);

#endif /* LOCALIO_CONFIG_H */
