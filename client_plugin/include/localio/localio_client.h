/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* LOCALIO for libnfs applications: a context beside an nfs_context that
 * sends READ/WRITE/COMMIT of open files straight to the local file when the
 * NFS server runs on this host (proved by the LOCALIO handshake), and
 * through libnfs otherwise. OPEN/CLOSE/GETATTR always stay on the wire.
 *
 * Conventions are libnfs 4.0's: context first, results are byte counts or
 * a negative errno. Every failure also sets a sentence, localio_get_error(),
 * "<call>: <problem>" (e.g. "localio_pread: local pread of 4096 bytes at
 * offset 0 failed: Input/output error", or libnfs's text for a failed RPC).
 * Where libnfs returns a bare -1 (a call it could not send, a socket
 * error), these return -EIO with libnfs's text, not -1 (-EPERM): -EPERM
 * only for an NFS status PERM.
 * A NULL context, file, buffer (count > 0) or out-pointer is -EINVAL, never
 * a crash; for a NULL context the sentence is the calling thread's,
 * localio_get_error(NULL). Argument order of
 * the I/O calls is libnfs 4.0's (pread(nfs, fh, offset, count, buf)).
 * A context is used like its nfs_context: by one thread at a time.
 *
 * Include <sys/time.h> and <nfsc/libnfs.h> before this header.
 */
#ifndef LOCALIO_LOCALIO_CLIENT_H
#define LOCALIO_LOCALIO_CLIENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
/* No C++ exception leaves these functions: a failure is a negative errno
 * with a sentence (localio_get_error). */
#define LOCALIO_NOEXCEPT noexcept
#else
#define LOCALIO_NOEXCEPT
#endif

#pragma GCC visibility push(default)

struct nfs_context;
struct nfsfh;
struct nfs_stat_64;
struct localio_context;

struct localio_config {
	/* The server's map file, or a directory of maps in which the
	 * mounted server's is found by the handshake; NULL: $LOCALIO_MAP,
	 * else the directory /run/localio. A map's hello file is its path +
	 * ".hello". */
	const char *map_path;
	/* "server_root=client_root[,...]": where this client sees an export
	 * whose root the server calls server_root (absolute paths, no "..").
	 * NULL: the same path (or the export's Client_Root from the map). */
	const char *path_map;
	int disable;		/* 1: never bypass (plain libnfs) */
	int log_level;		/* 0 off, 1 errors, 2 info, 3 debug; to stderr */
	/* Unused, kept for the ABI (localio_config_init sets -1; any value is
	 * ignored). Local I/O acts as the AUTH_SYS identity the nfs_context's
	 * RPCs carry at that moment: uid, gid and groups, however they were
	 * set (the URL's ?uid=&gid=, nfs_set_uid/nfs_set_gid,
	 * nfs_set_auxiliary_gids, nfs_set_auth; libnfs's default is the
	 * process's real uid and gid, no groups), squashed as the export
	 * squashes them. A context whose identity cannot be read (AUTH_NONE,
	 * another flavor) sends every read and write through RPC
	 * (LOCALIO_FALLBACK_CREDENTIALS; localio_get_error says why). */
	long uid;
	long gid;
	int probe_timeout_ms;	/* per handshake RPC; 0: 200 */
	/* The uid the NFS server runs as: the only owner of a map, a hello
	 * file and their directory this client trusts, and of the LOCALIO
	 * listener it talks to. -1: $LOCALIO_SERVER_UID, else 0 (root). */
	long server_uid;
};

/* Fills in the defaults described above. */
void localio_config_init(struct localio_config *cfg) LOCALIO_NOEXCEPT;

/* Why an I/O went through RPC instead of the local file. */
enum localio_fallback_reason {
	LOCALIO_FALLBACK_NOT_LOCAL = 0,	/* no handshake, bypass off */
	LOCALIO_FALLBACK_NOT_IN_MAP = 1,	/* handle or export unknown */
	LOCALIO_FALLBACK_OPEN = 2,		/* local open failed */
	LOCALIO_FALLBACK_IDENTITY = 3,	/* local file is another object */
	LOCALIO_FALLBACK_CREDENTIALS = 4,	/* cannot act as the RPC user */
	LOCALIO_FALLBACK_READ_ONLY = 5,	/* write on a read-only export */
	LOCALIO_FALLBACK_SERVER_CHANGED = 6, /* stopped, restarted, epoch */
	LOCALIO_FALLBACK_UNSUPPORTED = 7,	/* e.g. O_APPEND writes */
	LOCALIO_FALLBACK_REASONS = 8
};

/* A short name for a reason ("not_local", "not_in_map", ...). */
const char *localio_fallback_reason_name(int reason) LOCALIO_NOEXCEPT;

struct localio_counters {
	uint64_t read_ops;	/* reads served from the local file */
	uint64_t read_bytes;
	uint64_t write_ops;	/* writes served by the local file */
	uint64_t write_bytes;
	uint64_t fallbacks[LOCALIO_FALLBACK_REASONS]; /* I/Os sent by RPC */
	uint64_t handshakes;	/* handshake attempts */
	uint64_t handshakes_ok;	/* ... that proved the server local */
};

/* Creates a context for `nfs`, which must already be mounted (the
 * handshake talks to the server nfs is connected to). Always gives a
 * usable context in *out unless out of memory (-ENOMEM): when the server
 * is not local or the configuration is bad, the bypass is off (see
 * localio_is_local and localio_get_error) and every call goes to libnfs.
 * A handshake that failed (not a bad configuration) is tried again from
 * later reads and writes: after 1 s, doubling up to a minute, and at once
 * when a new map appears at the path. A failed probe returns within a few ms when nothing listens, and at
 * worst after 2 * probe_timeout_ms. 0 or -ENOMEM. */
int localio_attach(struct nfs_context *nfs, const struct localio_config *cfg,
		   struct localio_context **out) LOCALIO_NOEXCEPT;

/* Runs the callbacks still waiting with -EINTR (see localio_service),
 * closes local files and frees the handshake slot; the nfs_context and
 * files opened on it are the caller's (close them first). */
void localio_detach(struct localio_context *ctx) LOCALIO_NOEXCEPT;

/* The last problem as a sentence ("" when none): why the bypass is off,
 * or why the last failed call failed (a call that succeeds leaves it).
 * Valid until the next call on ctx. NULL: the sentence of this thread's
 * last call made with a NULL context ("no localio context" before any). */
const char *localio_get_error(struct localio_context *ctx) LOCALIO_NOEXCEPT;

/* 1 while the handshake holds (reads and writes may bypass), else 0. */
int localio_is_local(struct localio_context *ctx) LOCALIO_NOEXCEPT;

/* nfs_open, remembering `flags` (access mode, O_SYNC/O_DSYNC, O_APPEND)
 * for the local file. Close with localio_close. */
int localio_open(struct localio_context *ctx, const char *path, int flags,
		 struct nfsfh **fh) LOCALIO_NOEXCEPT;

/* As nfs_pread/nfs_pwrite (bytes or -errno). A local error (EIO, ENOSPC,
 * EFBIG...) is the call's result; a write is never retried over RPC. */
int localio_pread(struct localio_context *ctx, struct nfsfh *fh,
		  uint64_t offset, uint64_t count, void *buf) LOCALIO_NOEXCEPT;
int localio_pwrite(struct localio_context *ctx, struct nfsfh *fh,
		   uint64_t offset, uint64_t count, const void *buf) LOCALIO_NOEXCEPT;
/* As nfs_read/nfs_write: at the file's current offset (libnfs keeps it;
 * a bypassed call moves it with nfs_lseek, which libnfs completes at once). */
int localio_read(struct localio_context *ctx, struct nfsfh *fh,
		 uint64_t count, void *buf) LOCALIO_NOEXCEPT;
int localio_write(struct localio_context *ctx, struct nfsfh *fh,
		  uint64_t count, const void *buf) LOCALIO_NOEXCEPT;

/* Makes every write so far durable: fsync of the local file, and
 * nfs_fsync (COMMIT) when some writes went by RPC. Other clients then see
 * the file's new attributes (the server is told, LOCALIO WROTE), as after
 * localio_close. 0 or -errno. */
int localio_fsync(struct localio_context *ctx, struct nfsfh *fh) LOCALIO_NOEXCEPT;

/* libnfs's nfs_cb, the same type (declared here so that this header needs
 * no libnfs header): an nfs_cb is passed as it is. */
typedef void (*localio_cb)(int err, struct nfs_context *nfs, void *data,
			   void *private_data);

/* The async forms, with libnfs's callback convention (nfs_cb):
 * cb(err, nfs, data, private_data), err the byte count (0 for fsync) or
 * -errno; data the bytes read (pread/read; valid during the callback
 * only). When err < 0 and the call was served locally, data is the error
 * sentence, also localio_get_error(ctx) during the callback; a call that
 * went to libnfs fails as libnfs reports it: nfs_get_error(nfs) has the
 * sentence (libnfs 4.0's NFSv3 READ and WRITE give -EFAULT, and data is
 * then not a sentence). Each returns 0
 * when the call was taken (cb then runs exactly once), or -errno (cb never
 * runs; localio_get_error says why). A call served from the local file is
 * done at once, but its callback never runs inside the *_async call: it
 * runs from the next localio_service, in the order of the calls. A call
 * the bypass may not serve goes to libnfs's nfs_*_async, whose callback
 * runs from nfs_service as always, which localio_service calls. So drive
 * the context's loop with these three in place of nfs_get_fd,
 * nfs_which_events and nfs_service (a plain nfs_service never runs the
 * callbacks of calls served locally):
 *
 *   struct pollfd pfd = { localio_get_fd(lio), localio_which_events(lio), 0 };
 *   if (poll(&pfd, 1, timeout_ms) >= 0 && localio_service(lio, pfd.revents) < 0)
 *           ... localio_get_error(lio) ...
 *
 * localio_which_events adds POLLOUT while callbacks wait, so the poll
 * returns at once. A callback may issue the next call, and may call
 * localio_detach (the loop then stops; nothing of ctx is touched after).
 * localio_detach runs the callbacks still waiting, with -EINTR. */
int localio_pread_async(struct localio_context *ctx, struct nfsfh *fh,
			uint64_t offset, uint64_t count, localio_cb cb,
			void *private_data) LOCALIO_NOEXCEPT;
int localio_pwrite_async(struct localio_context *ctx, struct nfsfh *fh,
			 uint64_t offset, uint64_t count, const void *buf,
			 localio_cb cb, void *private_data) LOCALIO_NOEXCEPT;
/* At the file's offset, moved as by localio_read/localio_write. */
int localio_read_async(struct localio_context *ctx, struct nfsfh *fh,
		       uint64_t count, localio_cb cb, void *private_data) LOCALIO_NOEXCEPT;
int localio_write_async(struct localio_context *ctx, struct nfsfh *fh,
			uint64_t count, const void *buf, localio_cb cb,
			void *private_data) LOCALIO_NOEXCEPT;
/* As localio_fsync; the callback's err is 0 or -errno. */
int localio_fsync_async(struct localio_context *ctx, struct nfsfh *fh,
			localio_cb cb, void *private_data) LOCALIO_NOEXCEPT;

/* nfs_get_fd: the socket to poll (-EINVAL when not connected). */
int localio_get_fd(struct localio_context *ctx) LOCALIO_NOEXCEPT;
/* nfs_which_events, with POLLOUT while callbacks of calls served locally
 * wait. */
int localio_which_events(struct localio_context *ctx) LOCALIO_NOEXCEPT;
/* Runs the callbacks of calls served locally that were waiting (those they
 * issue wait for the next call), then nfs_service with the events libnfs
 * asked for. 0, or nfs_service's -errno. */
int localio_service(struct localio_context *ctx, int revents) LOCALIO_NOEXCEPT;

/* nfs_fstat64, always on the wire (the server's attributes). The server is
 * first told of the files this context wrote through the bypass, so the
 * size and times are the ones written. A plain nfs_fstat64 or nfs_stat64
 * on the same context sees them after localio_fsync or localio_close. */
int localio_fstat64(struct localio_context *ctx, struct nfsfh *fh,
		    struct nfs_stat_64 *st) LOCALIO_NOEXCEPT;

/* Flushes a file written through the bypass (libnfs's close commits only
 * its own writes), then nfs_close. Frees fh even on error. 0 or -errno. */
int localio_close(struct localio_context *ctx, struct nfsfh *fh) LOCALIO_NOEXCEPT;

/* Copies the context's counters. 0, or -EINVAL for a NULL argument. */
int localio_get_counters(struct localio_context *ctx,
			 struct localio_counters *out) LOCALIO_NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LOCALIO_LOCALIO_CLIENT_H */
