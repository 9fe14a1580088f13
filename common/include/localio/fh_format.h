/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* How a server's wire file handle is laid out, so that a client can find the
 * export id and the FSAL's opaque bytes without hard-coding one server.
 * The server publishes its descriptor in the map header; the client parses
 * every handle with it (wire_handle.h). Plain C: the FSAL includes it too.
 */
#ifndef LOCALIO_FH_FORMAT_H
#define LOCALIO_FH_FORMAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct localio_fh_format {
	uint8_t version_byte;      /* first byte of every handle (Ganesha: 0x43) */
	uint8_t header_len;        /* bytes before the opaque part (Ganesha: 5) */
	uint8_t export_id_offset;  /* offset of the export id (Ganesha: 2) */
	uint8_t export_id_size;    /* 1, 2 or 4 bytes (Ganesha: 2) */
	uint8_t export_id_big_endian; /* 1: big-endian (Ganesha), 0: little */
	uint8_t opaque_len_offset; /* offset of the one-byte opaque length (4) */
	uint8_t v3_pad_multiple;   /* v3 handles padded to a multiple of this (4) */
	uint8_t max_opaque_len;    /* largest opaque the server emits (123) */
};

/* The layout of NFS-Ganesha 4.x handles (nfs_fh.h: file_handle_v3/v4). */
static inline struct localio_fh_format localio_fh_format_ganesha(void)
{
	struct localio_fh_format f = { 0x43, 5, 2, 2, 1, 4, 4, 123 };
	return f;
}

#ifdef __cplusplus
}
#endif

#endif /* LOCALIO_FH_FORMAT_H */
