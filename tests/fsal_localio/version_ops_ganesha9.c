/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Ganesha 9.14 only (on top of version_ops_ganesha6.c): the fake's
 * fs_readdir_mode and delegation-transition handler, and the tests that
 * LOCALIO passes both down and leaves the per-module ops (reclaim, service
 * registration) to each module, as ops_ganesha9.c says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_sub_fsal.h"
#include "test_env.h"

static enum fsal_readdir_mode fake_fs_readdir_mode(struct fsal_export *exp)
{
	(void)exp;
	fake_record(__func__, NULL, NULL, NULL);
	return FSAL_RDDIR_CHUNK_NEVER;
}

static void fake_handle_deleg_transition(struct fsal_export *orig,
					 struct gsh_export *exp)
{
	fake_record(__func__, NULL, NULL, exp);
	/* The FSAL's own export is orig->sub_export (FSAL_CEPH's reading). */
	assert_ptr_equal(orig->sub_export, fake_last.ctx_export);
}

void fake_v9_export_ops_init(struct export_ops *ops)
{
	ops->fs_readdir_mode = fake_fs_readdir_mode;
}

void v9_ops_pass_through(struct fsal_export *lio_exp,
			 struct fsal_export *sub_exp)
{
	struct fsal_module *lio = lio_exp->fsal;
	struct fsal_export above = { .sub_export = lio_exp };
	struct gsh_export gexp;

	assert_int_equal(lio_exp->exp_ops.fs_readdir_mode(lio_exp),
			 FSAL_RDDIR_CHUNK_NEVER);
	assert_string_equal(fake_last.op, "fake_fs_readdir_mode");
	assert_ptr_equal(fake_last.ctx_export, sub_exp);

	/* MDCACHE calls the module under it with its own export as orig. */
	sub_exp->fsal->m_ops.handle_deleg_transition =
		fake_handle_deleg_transition;
	lio->m_ops.handle_deleg_transition(&above, &gexp);
	assert_string_equal(fake_last.op, "fake_handle_deleg_transition");
	assert_ptr_equal(fake_last.arg, &gexp);
	assert_ptr_equal(fake_last.ctx_export, sub_exp);

	/* Called on every module by Ganesha itself: LOCALIO keeps the
	 * defaults, the sub-FSAL's module gets its own call. */
	assert_ptr_equal(lio->m_ops.fsal_reclaim_client,
			 sub_exp->fsal->m_ops.fsal_reclaim_client);
	assert_ptr_equal(lio->m_ops.fsal_register_nfs_service,
			 sub_exp->fsal->m_ops.fsal_register_nfs_service);
	assert_ptr_equal(lio->m_ops.fsal_unregister_nfs_service,
			 sub_exp->fsal->m_ops.fsal_unregister_nfs_service);
	assert_int_equal(lio->m_ops.fsal_reclaim_client(lio, "node").major,
			 ERR_FSAL_NOTSUPP);
}
