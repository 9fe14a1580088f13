/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The LOCALIO side of the FSAL, behind a C API so that the Ganesha glue
 * (C, Ganesha's headers) and the logic (C++, no Ganesha headers, unit
 * tested) stay apart: the shared map, the LOCALIO listener and its rpcbind
 * registration, the heartbeat thread, and publishing handle -> path.
 *
 * One server per process. Every call is thread-safe. Publishing calls are
 * no-ops while the server is not running: the exports keep working through
 * RPC, without the bypass.
 *
 * Errors, in both directions (the FSAL's callback on_wrote included): a
 * call whose failure its caller acts on returns 0 or a negative errno (start
 * adds a sentence); a publish call returns a stamp, 0 meaning "not in the
 * map", which is no error to act on (RPC serves the object); a call whose
 * caller could do nothing about a failure returns nothing and logs it.
 */
#ifndef LOCALIO_SERVER_H
#define LOCALIO_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "localio/fh_format.h"
#include "localio/map_enums.h"

#ifdef __cplusplus
extern "C" {
/* No C++ exception leaves these functions: a failure is logged and is a
 * negative errno where the call returns one. */
#define LOCALIO_SERVER_NOEXCEPT noexcept
#else
#define LOCALIO_SERVER_NOEXCEPT
#endif

struct localio_server_params {
	/* The map; the hello file is map_path.hello. NULL or "": map_dir's
	 * file named after the host name and nfs_port. */
	const char *map_path;
	const char *map_dir;	/* NULL: LOCALIO_DEFAULT_MAP_DIR */
	unsigned int map_mode;	/* the map's mode; the hello file adds g+w */
	long long map_gid;	/* group of both files, -1 = the server's */
	uint64_t max_entries;
	uint16_t port;		/* LOCALIO listener, 0 = ephemeral */
	uint16_t nfs_port;	/* this server's NFS port, for the map header */
	const char *bind_addr;	/* numeric address NFS is bound to */
	/* SET 400122 v1 with rpcbind at start, and check the mapping every
	 * LOCALIO_RPCBIND_CHECK_BEATS heartbeats while running */
	bool register_rpcbind;
	/* The layout of the server's wire handles, published in the map
	 * header: the FSAL derives it from Ganesha's headers
	 * (localio_ganesha_fh_format). */
	struct localio_fh_format fh_format;
	/* LOCALIO WROTE, once per handle on the listener's thread: drop the
	 * cached attributes of export_id's object `opaque`; 0 or a negative
	 * errno (the reply carries its positive value). NULL: WROTE is
	 * PROC_UNAVAIL. */
	int (*on_wrote)(uint16_t export_id, const void *opaque,
			size_t opaque_len);
};

/* How many heartbeats apart the running server checks its rpcbind
 * mapping (puts it back, removes squatters). */
#define LOCALIO_RPCBIND_CHECK_BEATS 5

/* Creates the map and the hello file, starts the listener, registers it
 * with rpcbind, starts the heartbeat. 0, or a negative errno with a
 * sentence naming the problem in err. A failed start leaves nothing
 * running and nothing registered. */
int localio_server_start(const struct localio_server_params *params,
			 char *err, size_t err_len) LOCALIO_SERVER_NOEXCEPT;

/* Unregisters from rpcbind, stops the listener and the heartbeat, marks
 * the map dead. Idempotent. */
void localio_server_stop(void) LOCALIO_SERVER_NOEXCEPT;

bool localio_server_running(void) LOCALIO_SERVER_NOEXCEPT;

/* Work that waits for something no one signals (the end of an export
 * update: export_config.c). task(arg) runs on the heartbeat thread at each
 * beat (every LOCALIO_HEARTBEAT_PERIOD_MS) until it returns anything but
 * -EAGAIN; then done(arg) runs. A task still waiting when the server stops
 * gets only done(arg), from localio_server_stop. 0, or -ENOTCONN when the
 * server is not running (then nothing is called). */
typedef int (*localio_task)(void *arg);
int localio_server_defer(localio_task task, void (*done)(void *arg),
			 void *arg) LOCALIO_SERVER_NOEXCEPT;

/* The running server's map path into buf (truncated to len - 1 bytes,
 * NUL-terminated); its length, 0 when not running. */
size_t localio_server_map_path(char *buf, size_t len) LOCALIO_SERVER_NOEXCEPT;

/* `name` is a LOCALIO name (localio_proto.h: a LOCALIO call carried by a
 * LOOKUP through the NFS port): its call is run when the server runs, and
 * true is returned, for the lookup to answer NOENT. False: an ordinary
 * name. */
bool localio_server_name_call(const char *name) LOCALIO_SERVER_NOEXCEPT;

/* The listener's bound port (0 when not running). */
uint16_t localio_server_port(void) LOCALIO_SERVER_NOEXCEPT;

/* How the sub-FSAL's opaque handles can be resolved to a path from the
 * kernel when a handle arrives without a name. */
enum localio_resolver {
	LOCALIO_RESOLVER_NONE = 0,
	LOCALIO_RESOLVER_VFS = 1,	/* FSAL_VFS: fsid + kernel handle */
};

struct localio_export_desc {
	uint16_t export_id;
	const char *server_root;	/* the export's Path */
	const char *client_root;	/* where clients see it; NULL = same */
	bool read_only;
	enum localio_squash squash;
	uint32_t anon_uid;
	uint32_t anon_gid;
	enum localio_resolver resolver;
	/* 0, or the value localio_server_suspend_export returned: the row
	 * is then put back only if no later suspension came (-ESTALE). */
	uint64_t generation;
};

/* Adds or updates the export's row (bumps the epoch when it changed) and
 * opens its root for resolving handles. 0 or a negative errno. */
int localio_server_add_export(const struct localio_export_desc *desc) LOCALIO_SERVER_NOEXCEPT;

/* Withdraws the export's row until localio_server_add_export puts it back
 * (its entries stay); bumps the epoch, so clients stop bypassing it at
 * their next I/O. Returns the generation to pass back (0 when the export
 * is not in the map). */
uint64_t localio_server_suspend_export(uint16_t export_id) LOCALIO_SERVER_NOEXCEPT;

/* Drops the export's row and all its entries; bumps the epoch. */
void localio_server_remove_export(uint16_t export_id) LOCALIO_SERVER_NOEXCEPT;

struct localio_object {
	const void *opaque;	/* the FSAL opaque, as handle_to_wire emits */
	size_t opaque_len;
	uint64_t ino;
	uint64_t dev;
	enum localio_obj_type type;
};

/* The publish calls return a map stamp: nonzero when the object is in the
 * map now, and it stays there while localio_map_stamp() returns the same
 * value (no entry has left the map since), so a caller that keeps the stamp
 * need not ask again. 0: not in the map. */

/* The current stamp: one atomic load, no lock (0 when not running). */
uint64_t localio_map_stamp(void) LOCALIO_SERVER_NOEXCEPT;

/* The export root itself (path ""). */
uint64_t localio_publish_root(uint16_t export_id,
			      const struct localio_object *root) LOCALIO_SERVER_NOEXCEPT;

/* `child` is `name` in directory `parent` (lookup, create, readdir): one
 * lock of the map, the parent's path read in place. When the parent is not
 * in the map it is resolved from the kernel first. */
uint64_t localio_publish_child(uint16_t export_id, const void *parent_opaque,
			       size_t parent_len, const char *name,
			       const struct localio_object *child) LOCALIO_SERVER_NOEXCEPT;

/* A handle going to a client (handle_to_wire): one probe when it is in
 * the map already; otherwise resolved from the kernel and published. A
 * handle the kernel cannot resolve is not tried again for
 * LOCALIO_UNRESOLVABLE_MS. */
#define LOCALIO_UNRESOLVABLE_MS 5000
uint64_t localio_publish_wire(uint16_t export_id, const void *opaque,
			      size_t opaque_len) LOCALIO_SERVER_NOEXCEPT;

/* The mode, owner, group or ACL of a regular file was changed (or a call
 * that may have changed them was made): bumps the map's access epoch, so
 * that every client re-opens its local files, as the identity RPC acts as,
 * before its next I/O ("Revocation" in docs/DESIGN.md). One atomic add,
 * no lock of the map. */
void localio_access_changed(void) LOCALIO_SERVER_NOEXCEPT;

/* How many times a handle was resolved from the kernel (open_by_handle_at),
 * successfully or not, since the process started: a statistic. */
uint64_t localio_server_kernel_resolutions(void) LOCALIO_SERVER_NOEXCEPT;

/* The object was removed (its last name, or the caller cannot tell). */
void localio_unpublish(uint16_t export_id, const void *opaque,
		       size_t opaque_len) LOCALIO_SERVER_NOEXCEPT;

/* `obj` was renamed to `new_name` in `new_parent`; for a directory every
 * entry below it follows. */
void localio_renamed(uint16_t export_id, const struct localio_object *obj,
		     const void *new_parent_opaque, size_t new_parent_len,
		     const char *new_name) LOCALIO_SERVER_NOEXCEPT;

#ifdef __cplusplus
}

#include "localio/clock.h"

/* As localio_server_start, with the heartbeat (its period and stamps), the
 * map's publish stamps and the memory of unresolvable handles on `clock`
 * instead of SystemClock(): what the server's tests use to drive beats
 * without waiting (tests/harness/include/harness/clock.h). `clock` must
 * outlive the server. Not exported by the module (Ganesha calls only
 * localio_server_start). */
int localio_server_start_on_clock(const struct localio_server_params *params,
				  const localio::Clock &clock, char *err,
				  size_t err_len) noexcept;
#endif

#endif /* LOCALIO_SERVER_H */
