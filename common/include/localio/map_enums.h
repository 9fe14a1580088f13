/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The values the map stores for an export's squash and an object's type,
 * as C enums: the FSAL's C side names them (localio_server.h), and the C++
 * enums MapSquash and MapObjectType (map_types.h) are defined from these, so
 * a cast between the two is always the same value. Stored in MapExportRow
 * and MapSlot: a change is a map layout change (map_layout.h). */
#ifndef LOCALIO_MAP_ENUMS_H
#define LOCALIO_MAP_ENUMS_H

/* Squash modes as Ganesha applies them to the RPC path. */
enum localio_squash {
	LOCALIO_SQUASH_NONE = 0,
	LOCALIO_SQUASH_ROOT = 1,
	LOCALIO_SQUASH_ROOT_ID = 2,
	LOCALIO_SQUASH_ALL = 3,
};

/* Object types. */
enum localio_obj_type {
	LOCALIO_OBJ_UNKNOWN = 0,
	LOCALIO_OBJ_REGULAR = 1,
	LOCALIO_OBJ_DIRECTORY = 2,
	LOCALIO_OBJ_SYMLINK = 3,
	LOCALIO_OBJ_OTHER = 4,
};

#endif /* LOCALIO_MAP_ENUMS_H */
