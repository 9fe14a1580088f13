/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO ops that only Ganesha 4.3 (FSAL API 11) has: the export's
 * free_state and the pre-state seek, both gone in 6.5. */
#include "localio_methods.h"

static void localio_free_state(struct fsal_export *exp_hdl,
			       struct state_t *state)
{
	LOCALIO_SUB_EXPORT_VOID(exp_hdl, free_state, state);
}

static fsal_status_t localio_seek(struct fsal_obj_handle *obj_hdl,
				  struct io_info *info)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, seek, info);
}

void localio_version_module_ops_init(struct fsal_ops *ops)
{
	(void)ops;	/* 4.3 calls init_config once, at load (main.c) */
}

void localio_version_export_ops_init(struct export_ops *ops)
{
	ops->free_state = localio_free_state;
}

void localio_version_obj_ops_init(struct fsal_obj_ops *ops)
{
	ops->seek = localio_seek;
}
