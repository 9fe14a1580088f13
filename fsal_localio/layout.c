/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO pNFS layout ops: passed through so a sub-FSAL that serves
 * layouts keeps doing so under LOCALIO. */
#include "localio_methods.h"

nfsstat4 localio_layoutget(struct fsal_obj_handle *obj_hdl, XDR *loc_body,
			   const struct fsal_layoutget_arg *arg,
			   struct fsal_layoutget_res *res)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, layoutget, loc_body, arg, res);
}

nfsstat4 localio_layoutreturn(struct fsal_obj_handle *obj_hdl, XDR *lrf_body,
			      const struct fsal_layoutreturn_arg *arg)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, layoutreturn, lrf_body, arg);
}

nfsstat4 localio_layoutcommit(struct fsal_obj_handle *obj_hdl, XDR *lou_body,
			      const struct fsal_layoutcommit_arg *arg,
			      struct fsal_layoutcommit_res *res)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, layoutcommit, lou_body, arg, res);
}
