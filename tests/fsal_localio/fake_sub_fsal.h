/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* A fake sub-FSAL for testing FSAL_LOCALIO's pass-through.
 *
 * Registered as FSAL "FAKESUB". Its export and object ops record every call
 * (op name, op_ctx->fsal_export at the time, the handle it was called on)
 * and return the status the test configured, so a test can check that a
 * LOCALIO op reached the sub-FSAL with the sub-export in op_ctx and that
 * results come back unchanged.
 */
#ifndef FAKE_SUB_FSAL_H
#define FAKE_SUB_FSAL_H

#include "localio_methods.h"

#define FAKE_SUB_NAME "FAKESUB"
#define FAKE_FILESIZE 4242u	/* what fake ops report in attrs_out */

struct fake_handle {
	struct fsal_obj_handle obj;
	int id;			/* distinguishes handles in a test */
	/* What handle_to_wire emits: the queued opaque (see
	 * fake_queue_handle) or, when none was queued, the id's bytes. */
	uint8_t opaque[LOCALIO_MAX_OPAQUE];
	size_t opaque_len;
};

struct fake_export {
	struct fsal_export export;
};

/* The last call any fake op saw. */
struct fake_call {
	const char *op;
	struct fsal_export *ctx_export;	/* op_ctx->fsal_export during it */
	struct fsal_obj_handle *obj;	/* handle it was called on, if any */
	struct fsal_obj_handle *obj2;	/* second handle argument, if any */
	const void *arg;		/* a pass-through argument to check */
	int count;			/* calls since fake_reset */
	int released;			/* fake handles released */
	/* Directory attributes a namespace op was given (6.5; up to four,
	 * in argument order; NULL where none). */
	struct fsal_attrlist *dir_attrs[4];
};

extern struct fake_call fake_last;
extern fsal_status_t fake_next_status;	/* returned by status ops */
extern fsal_status_t fake_create_export_status;
extern struct fake_export *fake_last_export;	/* made by create_export */

/* handle_to_wire calls since fake_reset. */
extern int fake_wire_calls;

/* Defer read2/write2 completion until fake_complete_io (else inline). */
extern bool fake_defer_io;

/* Registers FAKESUB (once). */
void fake_sub_register(void);

/* Clears fake_last, next status = no error, inline I/O. */
void fake_reset(void);

/* A fresh fake handle of the fake export: REGULAR_FILE, or what the next
 * queued handle says. */
struct fsal_obj_handle *fake_handle_new(int id);

/* Gives the next handle a fake op makes (lookup_path, lookup, mkdir,
 * open2 create, create_handle, each readdir entry; in that order of
 * creation) this opaque, type (NO_FILE_TYPE: the op's default:
 * DIRECTORY for lookup_path and mkdir, REGULAR_FILE otherwise), fileid
 * and filesystem device: those of the real object it stands for. Up to
 * FAKE_QUEUE_MAX pending; fake_reset drops them. */
#define FAKE_QUEUE_MAX 8
void fake_queue_handle(const void *opaque, size_t len,
		       object_file_type_t type, uint64_t ino, dev_t dev);

/* Handles of fake ops that failed consumed nothing from the queue. */
int fake_queued(void);

/* Completes a deferred read2/write2 as a sub-FSAL would from its own
 * thread: op_ctx->fsal_export is the sub-export during the callback. */
void fake_complete_io(fsal_status_t status);

/* Records a call as every fake op does (for version_ops_ganesha<major>.c). */
void fake_record(const char *op, struct fsal_obj_handle *obj,
		 struct fsal_obj_handle *obj2, const void *arg);
/* Records the call and returns fake_next_status: a fake op that makes
 * nothing. */
fsal_status_t fake_answer(const char *op, struct fsal_obj_handle *obj,
			  struct fsal_obj_handle *obj2, const void *arg);

/* Ganesha-version-specific parts (version_ops_ganesha<major>.c): the fake
 * ops of one version only, and the test of LOCALIO's ops of that version. */
void fake_version_export_ops_init(struct export_ops *ops);
void fake_version_obj_ops_init(struct fsal_obj_ops *ops);
void version_only_ops_pass_through(struct fsal_export *lio_exp,
				   struct fsal_export *sub_exp,
				   struct fsal_obj_handle *root);
#if GANESHA_VERSION_MAJOR >= 9
/* 9.14's additions (version_ops_ganesha9.c), called by the 6.5 ones. */
void fake_v9_export_ops_init(struct export_ops *ops);
void v9_ops_pass_through(struct fsal_export *lio_exp,
			 struct fsal_export *sub_exp);
#endif

#endif
