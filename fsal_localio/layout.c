/* FSAL_LOCALIO pNFS layout ops: passed through so a sub-FSAL that serves
 * layouts keeps doing so under LOCALIO. */
#include "localio_methods.h"

nfsstat4 localio_layoutget(struct fsal_obj_handle *obj_hdl, XDR *loc_body,
			   const struct fsal_layoutget_arg *arg,
			   struct fsal_layoutget_res *res)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	nfsstat4 status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->layoutget(sub, loc_body,
							      arg, res));
	return status;
}

nfsstat4 localio_layoutreturn(struct fsal_obj_handle *obj_hdl, XDR *lrf_body,
			      const struct fsal_layoutreturn_arg *arg)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	nfsstat4 status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->layoutreturn(sub, lrf_body,
								 arg));
	return status;
}

nfsstat4 localio_layoutcommit(struct fsal_obj_handle *obj_hdl, XDR *lou_body,
			      const struct fsal_layoutcommit_arg *arg,
			      struct fsal_layoutcommit_res *res)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	nfsstat4 status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->layoutcommit(sub, lou_body,
								 arg, res));
	return status;
}
