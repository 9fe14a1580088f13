/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Ganesha 4.3 only: the fake's free_state and seek, and the test that
 * LOCALIO passes them down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_sub_fsal.h"

static void fake_free_state(struct fsal_export *exp_hdl,
			    struct state_t *state)
{
	(void)exp_hdl;
	fake_record(__func__, NULL, NULL, state);
	gsh_free(state);
}

static fsal_status_t fake_seek(struct fsal_obj_handle *obj,
			       struct io_info *info)
{
	return fake_answer(__func__, obj, NULL, info);
}

void fake_version_export_ops_init(struct export_ops *ops)
{
	ops->free_state = fake_free_state;
}

void fake_version_obj_ops_init(struct fsal_obj_ops *ops)
{
	ops->seek = fake_seek;
}

void version_only_ops_pass_through(struct fsal_export *lio_exp,
				   struct fsal_export *sub_exp,
				   struct fsal_obj_handle *root)
{
	struct state_t *state = lio_exp->exp_ops.alloc_state(
					lio_exp, STATE_TYPE_SHARE, NULL);
	struct io_info info = { 0 };
	fsal_status_t st;

	lio_exp->exp_ops.free_state(lio_exp, state);
	assert_string_equal(fake_last.op, "fake_free_state");
	assert_ptr_equal(fake_last.ctx_export, sub_exp);
	assert_ptr_equal(fake_last.arg, state);

	fake_next_status = fsalstat(ERR_FSAL_NOTSUPP, ENOTSUP);
	st = root->obj_ops->seek(root, &info);
	assert_string_equal(fake_last.op, "fake_seek");
	assert_ptr_equal(fake_last.ctx_export, sub_exp);
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_ptr_equal(fake_last.arg, &info);
	assert_int_equal(st.major, ERR_FSAL_NOTSUPP);
	assert_ptr_equal(op_ctx->fsal_export, lio_exp);
}
