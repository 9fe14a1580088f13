/* FSAL_LOCALIO extended attributes: the NFSv4.2 xattr ops (not wrapped by
 * FSAL_NULL) and the older *_ext_attr(s) ops. */
#include "localio_methods.h"

fsal_status_t localio_getxattrs(struct fsal_obj_handle *obj_hdl,
				xattrkey4 *xa_name, xattrvalue4 *xa_value)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->getxattrs(sub, xa_name,
							      xa_value));
	return status;
}

fsal_status_t localio_setxattrs(struct fsal_obj_handle *obj_hdl,
				setxattr_option4 option, xattrkey4 *xa_name,
				xattrvalue4 *xa_value)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->setxattrs(sub, option,
							      xa_name,
							      xa_value));
	return status;
}

fsal_status_t localio_removexattrs(struct fsal_obj_handle *obj_hdl,
				   xattrkey4 *xa_name)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->removexattrs(sub, xa_name));
	return status;
}

fsal_status_t localio_listxattrs(struct fsal_obj_handle *obj_hdl,
				 count4 la_maxcount, nfs_cookie4 *la_cookie,
				 bool_t *lr_eof, xattrlist4 *lr_names)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->listxattrs(sub, la_maxcount,
							       la_cookie,
							       lr_eof,
							       lr_names));
	return status;
}

fsal_status_t localio_list_ext_attrs(struct fsal_obj_handle *obj_hdl,
				     unsigned int cookie,
				     struct fsal_xattrent *xattrs_tab,
				     unsigned int xattrs_tabsize,
				     unsigned int *nb_returned,
				     int *end_of_list)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->list_ext_attrs(
					sub, cookie, xattrs_tab, xattrs_tabsize,
					nb_returned, end_of_list));
	return status;
}

fsal_status_t localio_getextattr_id_by_name(struct fsal_obj_handle *obj_hdl,
					    const char *xattr_name,
					    unsigned int *xattr_id)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->getextattr_id_by_name(
					sub, xattr_name, xattr_id));
	return status;
}

fsal_status_t localio_getextattr_value_by_name(struct fsal_obj_handle *obj_hdl,
					       const char *xattr_name,
					       void *buffer_addr,
					       size_t buffer_size,
					       size_t *output_size)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->getextattr_value_by_name(
					sub, xattr_name, buffer_addr,
					buffer_size, output_size));
	return status;
}

fsal_status_t localio_getextattr_value_by_id(struct fsal_obj_handle *obj_hdl,
					     unsigned int xattr_id,
					     void *buffer_addr,
					     size_t buffer_size,
					     size_t *output_size)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->getextattr_value_by_id(
					sub, xattr_id, buffer_addr,
					buffer_size, output_size));
	return status;
}

fsal_status_t localio_setextattr_value(struct fsal_obj_handle *obj_hdl,
				       const char *xattr_name,
				       void *buffer_addr, size_t buffer_size,
				       int create)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->setextattr_value(
					sub, xattr_name, buffer_addr,
					buffer_size, create));
	return status;
}

fsal_status_t localio_setextattr_value_by_id(struct fsal_obj_handle *obj_hdl,
					     unsigned int xattr_id,
					     void *buffer_addr,
					     size_t buffer_size)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->setextattr_value_by_id(
					sub, xattr_id, buffer_addr,
					buffer_size));
	return status;
}

fsal_status_t localio_remove_extattr_by_id(struct fsal_obj_handle *obj_hdl,
					   unsigned int xattr_id)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->remove_extattr_by_id(
					sub, xattr_id));
	return status;
}

fsal_status_t localio_remove_extattr_by_name(struct fsal_obj_handle *obj_hdl,
					     const char *xattr_name)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->remove_extattr_by_name(
					sub, xattr_name));
	return status;
}
