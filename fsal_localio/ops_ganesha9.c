/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO ops new in Ganesha 9.14 (FSAL API 14), on top of the 6.5
 * ones (ops_ganesha6.c, which calls these). Each new member of the three
 * tables, and what LOCALIO does with it:
 *
 * export_ops.fs_readdir_mode: the readdir mode of the filesystem. Passed
 * down (as FSAL_NULL does): the sub-FSAL's filesystem decides, and MDCACHE
 * above asks LOCALIO.
 *
 * fsal_ops.handle_deleg_transition(orig, exp): a reload that changes the
 * delegation options calls it on the FSAL under MDCACHE with orig, the
 * export above that FSAL (orig->sub_export is the FSAL's own). Passed down
 * in the same shape: the sub-FSAL's module gets LOCALIO's export as its
 * orig. Ganesha calls it only when built with FSAL_CEPH's delegations
 * (Debian's VFS never acts on it); LOCALIO still must not swallow it.
 *
 * fsal_ops.fsal_reclaim_client, fsal_register_nfs_service and
 * fsal_unregister_nfs_service: Ganesha calls them on every loaded FSAL
 * module in turn (SAL's recovery, commonlib's service registration), the
 * sub-FSAL's module among them. LOCALIO has no cluster capabilities and no
 * backend service of its own, so it keeps Ganesha's defaults (NOTSUPP and
 * nothing): passing them down would call the sub-FSAL twice.
 *
 * obj_ops.readlink's new utf8string result is a type only (ganesha_compat.h).
 */
#include "localio_methods.h"

static enum fsal_readdir_mode
localio_fs_readdir_mode(struct fsal_export *exp_hdl)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, fs_readdir_mode);
}

static void localio_handle_deleg_transition(struct fsal_export *orig,
					    struct gsh_export *exp)
{
	struct fsal_export *mine = orig->sub_export;
	struct fsal_export *sub = mine->sub_export;

	LOCALIO_SUBCALL(localio_export_of(mine),
			sub->fsal->m_ops.handle_deleg_transition(mine, exp));
}

void localio_v9_module_ops_init(struct fsal_ops *ops)
{
	ops->handle_deleg_transition = localio_handle_deleg_transition;
}

void localio_v9_export_ops_init(struct export_ops *ops)
{
	ops->fs_readdir_mode = localio_fs_readdir_mode;
}
