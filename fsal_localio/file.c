/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO open/read/write/commit/lock ops.
 *
 * Per-open state (state_t) is allocated by the sub-FSAL (see alloc_state in
 * export.c) and handed down unchanged, so the sub-FSAL finds its own fds in
 * it.
 */
#include "localio_methods.h"

/* read2/write2 complete through a callback, possibly later and from another
 * thread; the relay restores LOCALIO's view for the upper layer. */
struct io_relay {
	struct fsal_obj_handle *obj_hdl;	/* LOCALIO handle */
	struct localio_export *exp;
	fsal_async_cb upper_cb;
	void *upper_arg;
};

static void localio_io_done(struct fsal_obj_handle *sub_obj, fsal_status_t ret,
			    void *obj_data, void *caller_data)
{
	struct io_relay *relay = caller_data;
	struct fsal_export *saved = op_ctx->fsal_export;

	(void)sub_obj;
	op_ctx->fsal_export = &relay->exp->export;
	relay->upper_cb(relay->obj_hdl, ret, obj_data, relay->upper_arg);
	op_ctx->fsal_export = saved;
	gsh_free(relay);
}

/* Made before the call goes down, while op_ctx names the LOCALIO export. */
static struct io_relay *localio_io_relay_new(struct fsal_obj_handle *obj_hdl,
					     fsal_async_cb done_cb,
					     void *caller_arg)
{
	struct io_relay *relay = gsh_malloc(sizeof(*relay));

	relay->obj_hdl = obj_hdl;
	relay->exp = localio_current_export();
	relay->upper_cb = done_cb;
	relay->upper_arg = caller_arg;
	return relay;
}

void localio_read2(struct fsal_obj_handle *obj_hdl, bool bypass,
		   fsal_async_cb done_cb, struct fsal_io_arg *read_arg,
		   void *caller_arg)
{
	struct io_relay *relay =
		localio_io_relay_new(obj_hdl, done_cb, caller_arg);

	LOCALIO_SUB_OBJ_VOID(obj_hdl, read2, bypass, localio_io_done, read_arg,
			     relay);
}

void localio_write2(struct fsal_obj_handle *obj_hdl, bool bypass,
		    fsal_async_cb done_cb, struct fsal_io_arg *write_arg,
		    void *caller_arg)
{
	struct io_relay *relay =
		localio_io_relay_new(obj_hdl, done_cb, caller_arg);

	LOCALIO_SUB_OBJ_VOID(obj_hdl, write2, bypass, localio_io_done,
			     write_arg, relay);
}

fsal_status_t
localio_open2(struct fsal_obj_handle *obj_hdl, struct state_t *state,
	      fsal_openflags_t openflags, enum fsal_create_mode createmode,
	      const char *name, struct fsal_attrlist *attrs_in,
	      fsal_verifier_t verifier, struct fsal_obj_handle **new_obj,
	      struct fsal_attrlist *attrs_out,
	      bool *caller_perm_check LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct fsal_obj_handle *sub_new = NULL;
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		obj_hdl, open2, state, openflags, createmode, name, attrs_in,
		verifier, &sub_new, attrs_out,
		caller_perm_check LOCALIO_PASS_DIR_ATTRS(parent));

	if (!FSAL_IS_ERROR(status) && sub_new == localio_sub(obj_hdl)) {
		/* opened by handle and the sub-FSAL named the object itself */
		*new_obj = obj_hdl;
		return status;
	}
	/* name is NULL when opened by handle: nothing to publish then */
	return localio_wrap_child(status, obj_hdl, name, sub_new, new_obj);
}

bool localio_check_verifier(struct fsal_obj_handle *obj_hdl,
			    fsal_verifier_t verifier)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, check_verifier, verifier);
}

fsal_openflags_t localio_status2(struct fsal_obj_handle *obj_hdl,
				 struct state_t *state)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, status2, state);
}

fsal_status_t localio_reopen2(struct fsal_obj_handle *obj_hdl,
			      struct state_t *state, fsal_openflags_t openflags)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, reopen2, state, openflags);
}

fsal_status_t localio_seek2(struct fsal_obj_handle *obj_hdl,
			    struct state_t *state, struct io_info *info)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, seek2, state, info);
}

fsal_status_t localio_io_advise2(struct fsal_obj_handle *obj_hdl,
				 struct state_t *state, struct io_hints *hints)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, io_advise2, state, hints);
}

fsal_status_t localio_commit2(struct fsal_obj_handle *obj_hdl, off_t offset,
			      size_t len)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, commit2, offset, len);
}

fsal_status_t localio_lock_op2(struct fsal_obj_handle *obj_hdl,
			       struct state_t *state, void *owner,
			       fsal_lock_op_t lock_op,
			       fsal_lock_param_t *request_lock,
			       fsal_lock_param_t *conflicting_lock)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, lock_op2, state, owner, lock_op,
				    request_lock, conflicting_lock);
}

/* Not wrapped by FSAL_NULL: delegations must reach the sub-FSAL. */
fsal_status_t localio_lease_op2(struct fsal_obj_handle *obj_hdl,
				struct state_t *state, void *owner,
				fsal_deleg_t deleg)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, lease_op2, state, owner, deleg);
}

/* The attributes that decide who may open a file: a change of any tells
 * clients to re-open their local files (docs/DESIGN.md, "Revocation"). An
 * open2 never sets them on a file that existed before (VFS sets a new
 * file's attributes on its own handle, and only when it created it). */
#define LOCALIO_ACCESS_ATTRS                                              \
	(ATTR_MODE | ATTR_OWNER | ATTR_GROUP | ATTR_ACL | ATTR4_SEC_LABEL)

fsal_status_t localio_setattr2(struct fsal_obj_handle *obj_hdl, bool bypass,
			       struct state_t *state,
			       struct fsal_attrlist *attrib_set)
{
	/* The mask is read before the call (the sub-FSAL may change it), and
	 * clients are told whatever the call returns: VFS changes the mode
	 * before the owner, so a call that failed may have changed one. */
	bool access = FSAL_TEST_MASK(attrib_set->valid_mask,
				     LOCALIO_ACCESS_ATTRS) != 0;
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(obj_hdl, setattr2, bypass,
						    state, attrib_set);

	if (access)
		localio_fsal_publish_access_changed(obj_hdl);
	return status;
}

fsal_status_t localio_close2(struct fsal_obj_handle *obj_hdl,
			     struct state_t *state)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, close2, state);
}

fsal_status_t localio_close(struct fsal_obj_handle *obj_hdl)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, close);
}

fsal_status_t localio_fallocate(struct fsal_obj_handle *obj_hdl,
				struct state_t *state, uint64_t offset,
				uint64_t length, bool allocate)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, fallocate, state, offset, length,
				    allocate);
}

/* The pre-state io_advise is still in the ops table (seek was too, until
 * 6.5: ops_ganesha4.c). */
fsal_status_t localio_io_advise(struct fsal_obj_handle *obj_hdl,
				struct io_hints *hints)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, io_advise, hints);
}
