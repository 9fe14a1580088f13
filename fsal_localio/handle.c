/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO object handles: wrapping and the namespace/attribute ops. */
#include "localio_methods.h"
#include "localio_server.h"

struct fsal_obj_handle *localio_wrap_handle(struct localio_export *exp,
					    struct fsal_obj_handle *sub_handle)
{
	struct localio_handle *hdl = gsh_calloc(1, sizeof(*hdl));

	localio_obj_handle_init(&hdl->obj_handle, &exp->export, sub_handle->type);
	hdl->obj_handle.obj_ops = &LOCALIO.handle_ops;
	hdl->obj_handle.fs = sub_handle->fs;
	hdl->obj_handle.fsid = sub_handle->fsid;
	hdl->obj_handle.fileid = sub_handle->fileid;
	hdl->obj_handle.state_hdl = sub_handle->state_hdl;
	hdl->sub_handle = sub_handle;
	localio_take_opaque(exp, hdl);
	return &hdl->obj_handle;
}

fsal_status_t localio_wrap_result(struct localio_export *exp,
				  fsal_status_t status,
				  struct fsal_obj_handle *sub_handle,
				  struct fsal_obj_handle **out)
{
	*out = NULL;
	if (!FSAL_IS_ERROR(status) && sub_handle != NULL)
		*out = localio_wrap_handle(exp, sub_handle);
	return status;
}

fsal_status_t localio_wrap_child(fsal_status_t status,
				 struct fsal_obj_handle *dir, const char *name,
				 struct fsal_obj_handle *sub_handle,
				 struct fsal_obj_handle **out)
{
	struct localio_export *exp = localio_current_export();

	status = localio_wrap_result(exp, status, sub_handle, out);
	if (!FSAL_IS_ERROR(status))
		localio_fsal_publish_child(exp, dir, name, *out);
	return status;
}

static void localio_get_ref(struct fsal_obj_handle *obj_hdl)
{
	LOCALIO_SUB_OBJ_VOID(obj_hdl, get_ref);
}

static void localio_put_ref(struct fsal_obj_handle *obj_hdl)
{
	LOCALIO_SUB_OBJ_VOID(obj_hdl, put_ref);
}

static void localio_handle_release(struct fsal_obj_handle *obj_hdl)
{
	struct localio_handle *hdl = localio_handle_of(obj_hdl);
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = hdl->sub_handle;

	LOCALIO_SUBCALL(exp, sub->obj_ops->release(sub));
	localio_obj_handle_fini(&hdl->obj_handle);
	gsh_free(hdl->listed_as);
	gsh_free(hdl);
}

/* Not wrapped by FSAL_NULL: MDCACHE calls it when it finds two handles for
 * one object, and VFS merges share reservations there. */
static fsal_status_t localio_merge(struct fsal_obj_handle *orig_hdl,
				   struct fsal_obj_handle *dupe_hdl)
{
	return LOCALIO_SUB_OBJ_CALL(orig_hdl, merge, localio_sub(dupe_hdl));
}

static fsal_status_t localio_lookup(struct fsal_obj_handle *dir_hdl,
				    const char *path,
				    struct fsal_obj_handle **handle,
				    struct fsal_attrlist *attrs_out)
{
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status;

	/* A LOCALIO call from a client that reaches only the NFS port
	 * (localio_proto.h, "LOCALIO names"): run, and not there. */
	if (localio_server_name_call(path))
		return fsalstat(ERR_FSAL_NOENT, 0);
	status = LOCALIO_SUB_OBJ_CALL(dir_hdl, lookup, path, &sub_handle,
				      attrs_out);
	return localio_wrap_child(status, dir_hdl, path, sub_handle, handle);
}

/* readdir hands each entry's sub-handle to our callback, which wraps it and
 * calls the upper layer's callback with the upper layer's export in op_ctx. */
struct readdir_relay {
	struct localio_export *exp;
	struct fsal_obj_handle *dir;	/* the LOCALIO handle */
	fsal_readdir_cb upper_cb;
	void *upper_state;
};

static enum fsal_dir_result
localio_readdir_entry(const char *name, struct fsal_obj_handle *sub_handle,
		      struct fsal_attrlist *attrs, void *dir_state,
		      fsal_cookie_t cookie)
{
	struct readdir_relay *relay = dir_state;
	struct fsal_export *saved = op_ctx->fsal_export;
	struct fsal_obj_handle *obj = localio_wrap_handle(relay->exp,
							  sub_handle);
	enum fsal_dir_result result;

	op_ctx->fsal_export = &relay->exp->export;
	localio_fsal_publish_listed(relay->exp, relay->dir, name, obj);
	result = relay->upper_cb(name, obj, attrs, relay->upper_state, cookie);
	op_ctx->fsal_export = saved;
	return result;
}

static fsal_status_t localio_readdir(struct fsal_obj_handle *dir_hdl,
				     fsal_cookie_t *whence, void *dir_state,
				     fsal_readdir_cb cb, attrmask_t attrmask,
				     bool *eof)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(dir_hdl);
	struct readdir_relay relay = {
		.exp = exp, .dir = dir_hdl, .upper_cb = cb,
		.upper_state = dir_state
	};
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->readdir(
				     sub, whence, &relay, localio_readdir_entry,
				     attrmask, eof));
	return status;
}

static fsal_cookie_t
localio_compute_readdir_cookie(struct fsal_obj_handle *parent, const char *name)
{
	return LOCALIO_SUB_OBJ_CALL(parent, compute_readdir_cookie, name);
}

static int localio_dirent_cmp(struct fsal_obj_handle *parent, const char *name1,
			      fsal_cookie_t cookie1, const char *name2,
			      fsal_cookie_t cookie2)
{
	return LOCALIO_SUB_OBJ_CALL(parent, dirent_cmp, name1, cookie1, name2,
				    cookie2);
}

static fsal_status_t
localio_mkdir(struct fsal_obj_handle *dir_hdl, const char *name,
	      struct fsal_attrlist *attrs_in, struct fsal_obj_handle **new_obj,
	      struct fsal_attrlist *attrs_out LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		dir_hdl, mkdir, name, attrs_in, &sub_handle,
		attrs_out LOCALIO_PASS_DIR_ATTRS(parent));

	return localio_wrap_child(status, dir_hdl, name, sub_handle, new_obj);
}

static fsal_status_t
localio_mknode(struct fsal_obj_handle *dir_hdl, const char *name,
	       object_file_type_t nodetype, struct fsal_attrlist *attrs_in,
	       struct fsal_obj_handle **new_obj,
	       struct fsal_attrlist *attrs_out LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		dir_hdl, mknode, name, nodetype, attrs_in, &sub_handle,
		attrs_out LOCALIO_PASS_DIR_ATTRS(parent));

	return localio_wrap_child(status, dir_hdl, name, sub_handle, new_obj);
}

static fsal_status_t
localio_symlink(struct fsal_obj_handle *dir_hdl, const char *name,
		const char *link_path, struct fsal_attrlist *attrs_in,
		struct fsal_obj_handle **new_obj,
		struct fsal_attrlist *attrs_out LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status = LOCALIO_SUB_OBJ_CALL(
		dir_hdl, symlink, name, link_path, attrs_in, &sub_handle,
		attrs_out LOCALIO_PASS_DIR_ATTRS(parent));

	return localio_wrap_child(status, dir_hdl, name, sub_handle, new_obj);
}

static fsal_status_t localio_readlink(struct fsal_obj_handle *obj_hdl,
				      localio_link_content_t *link_content,
				      bool refresh)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, readlink, link_content, refresh);
}

static fsal_status_t localio_test_access(struct fsal_obj_handle *obj_hdl,
					 fsal_accessflags_t access_type,
					 fsal_accessflags_t *allowed,
					 fsal_accessflags_t *denied,
					 bool owner_skip)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, test_access, access_type, allowed,
				    denied, owner_skip);
}

static fsal_status_t localio_getattrs(struct fsal_obj_handle *obj_hdl,
				      struct fsal_attrlist *attrs_out)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, getattrs, attrs_out);
}

static fsal_status_t
localio_link(struct fsal_obj_handle *obj_hdl,
	     struct fsal_obj_handle *destdir_hdl,
	     const char *name LOCALIO_DIR_ATTRS_OUT(destdir))
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, link, localio_sub(destdir_hdl),
				    name LOCALIO_PASS_DIR_ATTRS(destdir));
}

static fsal_status_t
localio_rename(struct fsal_obj_handle *obj_hdl,
	       struct fsal_obj_handle *olddir_hdl, const char *old_name,
	       struct fsal_obj_handle *newdir_hdl,
	       const char *new_name LOCALIO_DIR_ATTRS_OUT(olddir)
		       LOCALIO_DIR_ATTRS_OUT(newdir))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *olddir = localio_sub(olddir_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = olddir->obj_ops->rename(
					localio_sub(obj_hdl), olddir, old_name,
					localio_sub(newdir_hdl), new_name
					LOCALIO_PASS_DIR_ATTRS(olddir)
					LOCALIO_PASS_DIR_ATTRS(newdir)));
	if (!FSAL_IS_ERROR(status))
		localio_fsal_publish_renamed(exp, obj_hdl, newdir_hdl, new_name);
	return status;
}

static fsal_status_t
localio_unlink(struct fsal_obj_handle *dir_hdl, struct fsal_obj_handle *obj_hdl,
	       const char *name LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *dir = localio_sub(dir_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = dir->obj_ops->unlink(dir,
							   localio_sub(obj_hdl),
							   name
							   LOCALIO_PASS_DIR_ATTRS(parent)));
	if (!FSAL_IS_ERROR(status))
		localio_fsal_publish_removed(exp, obj_hdl);
	return status;
}

static fsal_status_t
localio_handle_to_wire(const struct fsal_obj_handle *obj_hdl,
		       fsal_digesttype_t output_type,
		       struct gsh_buffdesc *fh_desc)
{
	struct localio_export *exp = localio_current_export();
	struct localio_handle *hdl = localio_handle_of(obj_hdl);
	struct fsal_obj_handle *sub = hdl->sub_handle;
	struct fsal_obj_handle *obj = (struct fsal_obj_handle *)obj_hdl;
	fsal_status_t status;

	/* The wire form taken when the handle was made, where it is the one
	 * asked for: FSAL_VFS gives the same bytes for both digests. */
	if (hdl->opaque_len != 0 &&
	    (output_type == FSAL_DIGEST_NFSV4 ||
	     (output_type == FSAL_DIGEST_NFSV3 && exp->kernel_handles))) {
		if (fh_desc->len < hdl->opaque_len)
			return fsalstat(ERR_FSAL_TOOSMALL, 0);
		memcpy(fh_desc->addr, hdl->opaque, hdl->opaque_len);
		fh_desc->len = hdl->opaque_len;
		localio_fsal_publish_wire(exp, obj, fh_desc);
		return fsalstat(ERR_FSAL_NO_ERROR, 0);
	}
	LOCALIO_SUBCALL(exp, status = sub->obj_ops->handle_to_wire(sub,
								   output_type,
								   fh_desc));
	if (!FSAL_IS_ERROR(status))
		localio_fsal_publish_wire(exp, obj, fh_desc);
	return status;
}

static void localio_handle_to_key(struct fsal_obj_handle *obj_hdl,
				  struct gsh_buffdesc *fh_desc)
{
	LOCALIO_SUB_OBJ_VOID(obj_hdl, handle_to_key, fh_desc);
}

static bool localio_handle_cmp(struct fsal_obj_handle *obj_hdl1,
			       struct fsal_obj_handle *obj_hdl2)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub1 = localio_sub(obj_hdl1);
	bool same;

	if (obj_hdl1 == NULL || obj_hdl2 == NULL)
		return false;
	LOCALIO_SUBCALL(exp, same = sub1->obj_ops->handle_cmp(
					sub1, localio_sub(obj_hdl2)));
	return same;
}

static bool localio_is_referral(struct fsal_obj_handle *obj_hdl,
				struct fsal_attrlist *attrs, bool cache_attrs)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, is_referral, attrs, cache_attrs);
}

void localio_handle_ops_init(struct fsal_obj_ops *ops)
{
	/* Every op not set below is Ganesha's default (ERR_FSAL_NOTSUPP). */
	fsal_default_obj_ops_init(ops);

	ops->get_ref = localio_get_ref;
	ops->put_ref = localio_put_ref;
	ops->release = localio_handle_release;
	ops->merge = localio_merge;
	ops->lookup = localio_lookup;
	ops->readdir = localio_readdir;
	ops->compute_readdir_cookie = localio_compute_readdir_cookie;
	ops->dirent_cmp = localio_dirent_cmp;
	ops->mkdir = localio_mkdir;
	ops->mknode = localio_mknode;
	ops->symlink = localio_symlink;
	ops->readlink = localio_readlink;
	ops->test_access = localio_test_access;
	ops->getattrs = localio_getattrs;
	ops->link = localio_link;
	ops->rename = localio_rename;
	ops->unlink = localio_unlink;
	ops->handle_to_wire = localio_handle_to_wire;
	ops->handle_to_key = localio_handle_to_key;
	ops->handle_cmp = localio_handle_cmp;
	ops->is_referral = localio_is_referral;

	/* file.c */
	ops->open2 = localio_open2;
	ops->check_verifier = localio_check_verifier;
	ops->status2 = localio_status2;
	ops->reopen2 = localio_reopen2;
	ops->read2 = localio_read2;
	ops->write2 = localio_write2;
	ops->seek2 = localio_seek2;
	ops->io_advise2 = localio_io_advise2;
	ops->commit2 = localio_commit2;
	ops->lock_op2 = localio_lock_op2;
	ops->lease_op2 = localio_lease_op2;
	ops->setattr2 = localio_setattr2;
	ops->close2 = localio_close2;
	ops->close = localio_close;
	ops->fallocate = localio_fallocate;
	ops->io_advise = localio_io_advise;

	/* xattrs.c */
	ops->getxattrs = localio_getxattrs;
	ops->setxattrs = localio_setxattrs;
	ops->removexattrs = localio_removexattrs;
	ops->listxattrs = localio_listxattrs;
	ops->list_ext_attrs = localio_list_ext_attrs;
	ops->getextattr_id_by_name = localio_getextattr_id_by_name;
	ops->getextattr_value_by_name = localio_getextattr_value_by_name;
	ops->getextattr_value_by_id = localio_getextattr_value_by_id;
	ops->setextattr_value = localio_setextattr_value;
	ops->setextattr_value_by_id = localio_setextattr_value_by_id;
	ops->remove_extattr_by_id = localio_remove_extattr_by_id;
	ops->remove_extattr_by_name = localio_remove_extattr_by_name;

	/* layout.c */
	ops->layoutget = localio_layoutget;
	ops->layoutreturn = localio_layoutreturn;
	ops->layoutcommit = localio_layoutcommit;

	localio_version_obj_ops_init(ops);
}
