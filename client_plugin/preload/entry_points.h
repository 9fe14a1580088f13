/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The libnfs functions liblocalio_preload.so defines, in one list for the
 * C++ wrappers (interpose.cc), the decision that routes them (runtime.cc)
 * and the assembly entry points (entry_points_x86_64.S).
 *
 * Each exported nfs_* symbol is two instructions: a jump through its slot
 * in localio_preload_slots. A slot starts at a resolver that makes the
 * shim's one decision (runtime.h) and points every slot at the shim's
 * wrapper (the bypass may be used) or at the real libnfs function (the
 * shim stays out of the way). A jump keeps the caller's registers and
 * stack as they were, so a program built for another libnfs ABI (libnfs 6
 * passes seven arguments to nfs_pread_async) reaches its own libnfs with
 * its arguments intact.
 *
 * X(index, name): index is the slot; keep them 0.. in order.
 */
#ifndef LOCALIO_PRELOAD_ENTRY_POINTS_H
#define LOCALIO_PRELOAD_ENTRY_POINTS_H

#define LOCALIO_PRELOAD_ENTRY_POINTS(X) \
	X(0, nfs_mount_async)           \
	X(1, nfs_destroy_context)       \
	X(2, nfs_open2_async)           \
	X(3, nfs_create_async)          \
	X(4, nfs_close_async)           \
	X(5, nfs_pread)                 \
	X(6, nfs_pwrite)                \
	X(7, nfs_read)                  \
	X(8, nfs_write)                 \
	X(9, nfs_fsync)                 \
	X(10, nfs_pread_async)          \
	X(11, nfs_pwrite_async)         \
	X(12, nfs_read_async)           \
	X(13, nfs_write_async)          \
	X(14, nfs_fsync_async)          \
	X(15, nfs_which_events)         \
	X(16, nfs_service)              \
	X(17, nfs_stat_async)           \
	X(18, nfs_stat64_async)         \
	X(19, nfs_lstat64_async)        \
	X(20, nfs_fstat_async)          \
	X(21, nfs_fstat64_async)        \
	X(22, nfs_lseek_async)          \
	X(23, nfs_opendir_async)

#define LOCALIO_PRELOAD_ENTRY_COUNT 24

#ifndef __ASSEMBLER__
#ifdef __cplusplus
extern "C" {
#endif

/* The jump table (entry_points_x86_64.S). */
extern void *localio_preload_slots[LOCALIO_PRELOAD_ENTRY_COUNT];

/* Called by a slot's resolver before its first jump: makes the decision
 * and sets every slot (runtime.cc). */
void localio_preload_resolve(void);

#ifdef __cplusplus
}
#endif
#endif /* __ASSEMBLER__ */

#endif /* LOCALIO_PRELOAD_ENTRY_POINTS_H */
