/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The shared map as a client sees it (MapReader), for the CMocka tests of
 * the FSAL's C glue; plus real files' VFS opaques and temp trees. Each
 * call opens the map afresh: it checks what is in the file, not what the
 * server believes. */
#ifndef LOCALIO_TESTS_MAP_PROBE_H
#define LOCALIO_TESTS_MAP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct test_map_entry {
	char path[512];		/* relative to the export root */
	uint64_t ino;
	uint64_t dev;
	int type;		/* enum localio_obj_type */
	uint64_t generation;
};

struct test_map_export {
	bool read_only;
	int squash;		/* enum localio_squash */
	uint32_t anon_uid;
	uint32_t anon_gid;
	char server_root[512];
	char client_root[512];
};

/* The path published for (export_id, opaque) into buf. 0, -ENOENT when
 * absent, or another negative errno (map not usable, buf too small). */
int test_map_path_of(const char *map_path, uint16_t export_id,
		     const void *opaque, size_t len, char *buf, size_t buflen);

/* The whole entry for (export_id, opaque). Same returns. */
int test_map_entry_of(const char *map_path, uint16_t export_id,
		      const void *opaque, size_t len,
		      struct test_map_entry *out);

/* The export's row. 0, -ENOENT, or another negative errno. */
int test_map_export_of(const char *map_path, uint16_t export_id,
		       struct test_map_export *out);

/* Valid entries in the map, or a negative errno. */
long test_map_entry_count(const char *map_path);

/* The map header's epoch, or 0 when the map is not usable. */
uint64_t test_map_epoch(const char *map_path);
/* The map header's access epoch, or 0 when the map is not usable. */
uint64_t test_map_access_epoch(const char *map_path);

/* Parses the whole NFS handle `wire` with the wire-handle format the map's
 * header publishes: its export id, and where its opaque is in `wire`. 0,
 * -EINVAL when it does not parse, or another negative errno (map not
 * usable). */
int test_map_parse_wire(const char *map_path, const void *wire, size_t len,
			uint32_t *export_id, size_t *opaque_offset,
			size_t *opaque_len);

/* The VFS opaque of the real file `path` (as FSAL_VFS would make it) into
 * buf; its length, or a negative errno. */
int test_vfs_opaque(const char *path, void *buf, size_t buflen);

/* The size of the kernel handle ParseVfsOpaque finds in the VFS opaque,
 * or -EINVAL when it finds none. */
int test_vfs_kernel_handle_size(const void *opaque, size_t len);

/* A fresh temp directory "<base>/<prefix>.XXXXXX" (the harness's TempDir,
 * tests/harness), NULL on error (printed); test_tree_path is its canonical
 * path, valid until test_remove_tree removes it with everything in it
 * (LOCALIO_KEEP_TMP=1 keeps it) and frees the tree. */
struct test_tree;
struct test_tree *test_make_tree(const char *base, const char *prefix);
const char *test_tree_path(const struct test_tree *tree);
void test_remove_tree(struct test_tree *tree);

#ifdef __cplusplus
}
#endif

#endif /* LOCALIO_TESTS_MAP_PROBE_H */
