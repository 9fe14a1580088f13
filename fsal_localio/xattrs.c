/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO extended attributes: the NFSv4.2 xattr ops (not wrapped by
 * FSAL_NULL) and the older *_ext_attr(s) ops. Extended attributes can
 * decide who may open a file (system.posix_acl_access, security.*; 9P
 * names any), so a change of one is a change of access for clients
 * (localio_fsal_publish_access_changed). */
#include "localio_methods.h"

/* Yields `status`, after telling clients of a change made to obj. */
static fsal_status_t localio_xattr_changed(struct fsal_obj_handle *obj_hdl,
					   fsal_status_t status)
{
	if (!FSAL_IS_ERROR(status))
		localio_fsal_publish_access_changed(obj_hdl);
	return status;
}

fsal_status_t localio_getxattrs(struct fsal_obj_handle *obj_hdl,
				xattrkey4 *xa_name, xattrvalue4 *xa_value)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, getxattrs, xa_name, xa_value);
}

fsal_status_t localio_setxattrs(struct fsal_obj_handle *obj_hdl,
				setxattr_option4 option, xattrkey4 *xa_name,
				xattrvalue4 *xa_value)
{
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(obj_hdl, setxattrs, option,
						    xa_name, xa_value);

	return localio_xattr_changed(obj_hdl, status);
}

fsal_status_t localio_removexattrs(struct fsal_obj_handle *obj_hdl,
				   xattrkey4 *xa_name)
{
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(obj_hdl, removexattrs,
						    xa_name);

	return localio_xattr_changed(obj_hdl, status);
}

fsal_status_t localio_listxattrs(struct fsal_obj_handle *obj_hdl,
				 count4 la_maxcount, nfs_cookie4 *la_cookie,
				 bool_t *lr_eof, xattrlist4 *lr_names)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, listxattrs, la_maxcount, la_cookie,
				    lr_eof, lr_names);
}

fsal_status_t localio_list_ext_attrs(struct fsal_obj_handle *obj_hdl,
				     unsigned int cookie,
				     struct fsal_xattrent *xattrs_tab,
				     unsigned int xattrs_tabsize,
				     unsigned int *nb_returned,
				     int *end_of_list)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, list_ext_attrs, cookie, xattrs_tab,
				    xattrs_tabsize, nb_returned, end_of_list);
}

fsal_status_t localio_getextattr_id_by_name(struct fsal_obj_handle *obj_hdl,
					    const char *xattr_name,
					    unsigned int *xattr_id)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, getextattr_id_by_name, xattr_name,
				    xattr_id);
}

fsal_status_t localio_getextattr_value_by_name(struct fsal_obj_handle *obj_hdl,
					       const char *xattr_name,
					       void *buffer_addr,
					       size_t buffer_size,
					       size_t *output_size)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, getextattr_value_by_name,
				    xattr_name, buffer_addr, buffer_size,
				    output_size);
}

fsal_status_t localio_getextattr_value_by_id(struct fsal_obj_handle *obj_hdl,
					     unsigned int xattr_id,
					     void *buffer_addr,
					     size_t buffer_size,
					     size_t *output_size)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, getextattr_value_by_id, xattr_id,
				    buffer_addr, buffer_size, output_size);
}

fsal_status_t localio_setextattr_value(struct fsal_obj_handle *obj_hdl,
				       const char *xattr_name,
				       void *buffer_addr, size_t buffer_size,
				       int create)
{
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(obj_hdl, setextattr_value,
						    xattr_name, buffer_addr,
						    buffer_size, create);

	return localio_xattr_changed(obj_hdl, status);
}

fsal_status_t localio_setextattr_value_by_id(struct fsal_obj_handle *obj_hdl,
					     unsigned int xattr_id,
					     void *buffer_addr,
					     size_t buffer_size)
{
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		obj_hdl, setextattr_value_by_id, xattr_id, buffer_addr,
		buffer_size);

	return localio_xattr_changed(obj_hdl, status);
}

fsal_status_t localio_remove_extattr_by_id(struct fsal_obj_handle *obj_hdl,
					   unsigned int xattr_id)
{
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		obj_hdl, remove_extattr_by_id, xattr_id);

	return localio_xattr_changed(obj_hdl, status);
}

fsal_status_t localio_remove_extattr_by_name(struct fsal_obj_handle *obj_hdl,
					     const char *xattr_name)
{
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		obj_hdl, remove_extattr_by_name, xattr_name);

	return localio_xattr_changed(obj_hdl, status);
}
