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
};

extern struct fake_call fake_last;
extern fsal_status_t fake_next_status;	/* returned by status ops */
extern fsal_status_t fake_create_export_status;
extern struct fake_export *fake_last_export;	/* made by create_export */

/* Defer read2/write2 completion until fake_complete_io (else inline). */
extern bool fake_defer_io;

/* Registers FAKESUB (once). */
void fake_sub_register(void);

/* Clears fake_last, next status = no error, inline I/O. */
void fake_reset(void);

/* A fresh fake handle of the fake export (type REGULAR_FILE). */
struct fsal_obj_handle *fake_handle_new(int id);

/* Completes a deferred read2/write2 as a sub-FSAL would from its own
 * thread: op_ctx->fsal_export is the sub-export during the callback. */
void fake_complete_io(fsal_status_t status);

#endif
