/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Defaults and limits that the server, the client and the tools share: each
 * is defined here once, and every other place takes it from here. Plain C:
 * the FSAL includes it too. The map's own sizes are its layout's
 * (map_layout.h); the wire format of Ganesha's handles is Ganesha's
 * (fh_format.h).
 */
#ifndef LOCALIO_DEFAULTS_H
#define LOCALIO_DEFAULTS_H

/* The directory of maps (Map_Directory; the client's map_path and
 * $LOCALIO_MAP by default): each server's map is its own file there,
 * "<host name>-<NFS port>.map" unless Map_Path names it; the hello file is
 * the map's path with LOCALIO_HELLO_SUFFIX. A client looks through every
 * map in the directory for the one of the server it mounted. The directory
 * must be one only the server's uid (or root) may write, in directories
 * no other uid can rename (localio/trusted_dir.h): /run is root's, so no
 * one else can take the name first; the server creates the directory. */
#define LOCALIO_DEFAULT_MAP_DIR "/run/localio"
#define LOCALIO_MAP_SUFFIX ".map"
#define LOCALIO_HELLO_SUFFIX ".hello"

/* The uid a client trusts to own the map, the hello file and their
 * directory, and to hold the LOCALIO listener (the client's server_uid,
 * $LOCALIO_SERVER_UID): the uid ganesha.nfsd runs as. */
#define LOCALIO_DEFAULT_SERVER_UID 0u

/* Map_Mode: the map's permission bits (clients only read it); the hello file
 * adds group write when the map gives its group read. Write bits that a map
 * and a hello file must not have, or clients do not trust them: only the
 * server writes the map; clients of its group write nonces into the hello
 * file, others never. */
#define LOCALIO_DEFAULT_MAP_MODE 0640
#define LOCALIO_MAP_FORBIDDEN_WRITE 0022
#define LOCALIO_HELLO_FORBIDDEN_WRITE 0002

/* Max_Entries: the map's capacity, rounded up to whole buckets. */
#define LOCALIO_DEFAULT_MAX_ENTRIES 262144u
#define LOCALIO_MIN_MAX_ENTRIES 16u
#define LOCALIO_MAX_MAX_ENTRIES 67108864u

/* The LOCALIO listener's Port; 0 = ephemeral, registered with rpcbind. */
#define LOCALIO_DEFAULT_PORT 0
/* rpcbind's port, where a client in another network namespace than the
 * server's asks who registered the LOCALIO program. */
#define LOCALIO_RPCBIND_PORT 111
/* rpcbind's local socket, where the server registers the LOCALIO program so
 * that rpcbind records the server's uid as its owner. */
#define LOCALIO_RPCBIND_SOCKET "/run/rpcbind.sock"

/* The anonymous uid and gid where an export sets none: Ganesha's ANON_UID
 * and ANON_GID (-2, nfs_exports.h), which the FSAL checks at build time. */
#define LOCALIO_DEFAULT_ANON_ID 4294967294u

/* The server stamps the map's heartbeat every LOCALIO_HEARTBEAT_PERIOD_MS;
 * a heartbeat older than LOCALIO_HEARTBEAT_STALE_MS means the server is
 * gone: clients stop bypassing, and a starting server may replace the map
 * (once the old server's pid and lock are gone too). */
#define LOCALIO_HEARTBEAT_PERIOD_MS 1000u
#define LOCALIO_HEARTBEAT_STALE_MS 3000u

/* A hello slot whose lease is older than this may be taken by another
 * client; owners renew it at a third of it. */
#define LOCALIO_HELLO_LEASE_MS 30000u

/* A client re-checks each local file it holds open at the file's first I/O
 * after this long: when the file's ctime moved since it was opened or last
 * checked (a chmod, chown or setfacl on the export's filesystem, behind the
 * server's back), it re-opens the file as the identity RPC acts as. So such
 * a change stops the bypassed I/O the new permissions refuse within this
 * bound; one made through the server stops it at the next I/O (the map's
 * access epoch). docs/DESIGN.md, "Revocation". */
#define LOCALIO_ACCESS_RECHECK_MS 1000u

/* The client's handshake RPCs: each waits this long for its reply by
 * default (probe_timeout_ms 0), at most LOCALIO_MAX_PROBE_TIMEOUT_MS. */
#define LOCALIO_DEFAULT_PROBE_TIMEOUT_MS 200
#define LOCALIO_MAX_PROBE_TIMEOUT_MS 60000

/* The client's log levels (localio_config.log_level, $LOCALIO_LOG): a log
 * at level N shows the messages of levels 1..N. */
#define LOCALIO_CLIENT_LOG_OFF 0
#define LOCALIO_CLIENT_LOG_ERROR 1
#define LOCALIO_CLIENT_LOG_INFO 2
#define LOCALIO_CLIENT_LOG_DEBUG 3

#endif /* LOCALIO_DEFAULTS_H */
