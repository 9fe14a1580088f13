/* FSAL_LOCALIO object handles: wrapping and the namespace/attribute ops. */
#include "localio_methods.h"

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

static void get_ref(struct fsal_obj_handle *obj_hdl)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);

	LOCALIO_SUBCALL(exp, sub->obj_ops->get_ref(sub));
}

static void put_ref(struct fsal_obj_handle *obj_hdl)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);

	LOCALIO_SUBCALL(exp, sub->obj_ops->put_ref(sub));
}

static void release(struct fsal_obj_handle *obj_hdl)
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
static fsal_status_t merge(struct fsal_obj_handle *orig_hdl,
			   struct fsal_obj_handle *dupe_hdl)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(orig_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->merge(sub,
							  localio_sub(dupe_hdl)));
	return status;
}

static fsal_status_t lookup(struct fsal_obj_handle *dir_hdl, const char *path,
			    struct fsal_obj_handle **handle,
			    struct fsal_attrlist *attrs_out)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(dir_hdl);
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->lookup(sub, path,
							   &sub_handle,
							   attrs_out));
	status = localio_wrap_result(exp, status, sub_handle, handle);
	if (!FSAL_IS_ERROR(status))
		localio_pub_child(exp, dir_hdl, path, *handle);
	return status;
}

/* readdir hands each entry's sub-handle to our callback, which wraps it and
 * calls the upper layer's callback with the upper layer's export in op_ctx. */
struct readdir_relay {
	struct localio_export *exp;
	struct fsal_obj_handle *dir;	/* the LOCALIO handle */
	fsal_readdir_cb upper_cb;
	void *upper_state;
};

static enum fsal_dir_result readdir_entry(const char *name,
					  struct fsal_obj_handle *sub_handle,
					  struct fsal_attrlist *attrs,
					  void *dir_state,
					  fsal_cookie_t cookie)
{
	struct readdir_relay *relay = dir_state;
	struct fsal_export *saved = op_ctx->fsal_export;
	struct fsal_obj_handle *obj = localio_wrap_handle(relay->exp,
							  sub_handle);
	enum fsal_dir_result result;

	op_ctx->fsal_export = &relay->exp->export;
	localio_pub_listed(relay->exp, relay->dir, name, obj);
	result = relay->upper_cb(name, obj, attrs, relay->upper_state, cookie);
	op_ctx->fsal_export = saved;
	return result;
}

static fsal_status_t read_dirents(struct fsal_obj_handle *dir_hdl,
			     fsal_cookie_t *whence, void *dir_state,
			     fsal_readdir_cb cb, attrmask_t attrmask, bool *eof)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(dir_hdl);
	struct readdir_relay relay = {
		.exp = exp, .dir = dir_hdl, .upper_cb = cb,
		.upper_state = dir_state
	};
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->readdir(sub, whence,
							    &relay,
							    readdir_entry,
							    attrmask, eof));
	return status;
}

static fsal_cookie_t compute_readdir_cookie(struct fsal_obj_handle *parent,
					    const char *name)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(parent);
	fsal_cookie_t cookie;

	LOCALIO_SUBCALL(exp, cookie = sub->obj_ops->compute_readdir_cookie(
					sub, name));
	return cookie;
}

static int dirent_cmp(struct fsal_obj_handle *parent, const char *name1,
		      fsal_cookie_t cookie1, const char *name2,
		      fsal_cookie_t cookie2)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(parent);
	int rc;

	LOCALIO_SUBCALL(exp, rc = sub->obj_ops->dirent_cmp(sub, name1, cookie1,
							   name2, cookie2));
	return rc;
}

static fsal_status_t mkdir_(struct fsal_obj_handle *dir_hdl, const char *name,
			    struct fsal_attrlist *attrs_in,
			    struct fsal_obj_handle **new_obj,
			    struct fsal_attrlist *attrs_out
			    LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(dir_hdl);
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->mkdir(sub, name, attrs_in,
							  &sub_handle,
							  attrs_out
							  LOCALIO_PASS_DIR_ATTRS(parent)));
	status = localio_wrap_result(exp, status, sub_handle, new_obj);
	if (!FSAL_IS_ERROR(status))
		localio_pub_child(exp, dir_hdl, name, *new_obj);
	return status;
}

static fsal_status_t mknode(struct fsal_obj_handle *dir_hdl, const char *name,
			    object_file_type_t nodetype,
			    struct fsal_attrlist *attrs_in,
			    struct fsal_obj_handle **new_obj,
			    struct fsal_attrlist *attrs_out
			    LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(dir_hdl);
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->mknode(sub, name, nodetype,
							   attrs_in,
							   &sub_handle,
							   attrs_out
							   LOCALIO_PASS_DIR_ATTRS(parent)));
	status = localio_wrap_result(exp, status, sub_handle, new_obj);
	if (!FSAL_IS_ERROR(status))
		localio_pub_child(exp, dir_hdl, name, *new_obj);
	return status;
}

static fsal_status_t symlink_(struct fsal_obj_handle *dir_hdl,
			      const char *name, const char *link_path,
			      struct fsal_attrlist *attrs_in,
			      struct fsal_obj_handle **new_obj,
			      struct fsal_attrlist *attrs_out
			      LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(dir_hdl);
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->symlink(sub, name,
							    link_path,
							    attrs_in,
							    &sub_handle,
							    attrs_out
							    LOCALIO_PASS_DIR_ATTRS(parent)));
	status = localio_wrap_result(exp, status, sub_handle, new_obj);
	if (!FSAL_IS_ERROR(status))
		localio_pub_child(exp, dir_hdl, name, *new_obj);
	return status;
}

static fsal_status_t readlink_(struct fsal_obj_handle *obj_hdl,
			       struct gsh_buffdesc *link_content, bool refresh)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->readlink(sub, link_content,
							     refresh));
	return status;
}

static fsal_status_t test_access(struct fsal_obj_handle *obj_hdl,
				 fsal_accessflags_t access_type,
				 fsal_accessflags_t *allowed,
				 fsal_accessflags_t *denied, bool owner_skip)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->test_access(sub,
								access_type,
								allowed, denied,
								owner_skip));
	return status;
}

static fsal_status_t getattrs(struct fsal_obj_handle *obj_hdl,
			      struct fsal_attrlist *attrs_out)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->getattrs(sub, attrs_out));
	return status;
}

static fsal_status_t link_(struct fsal_obj_handle *obj_hdl,
			   struct fsal_obj_handle *destdir_hdl,
			   const char *name
			   LOCALIO_DIR_ATTRS_OUT(destdir))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = sub->obj_ops->link(sub,
							 localio_sub(destdir_hdl),
							 name
							 LOCALIO_PASS_DIR_ATTRS(destdir)));
	return status;
}

static fsal_status_t rename_(struct fsal_obj_handle *obj_hdl,
			     struct fsal_obj_handle *olddir_hdl,
			     const char *old_name,
			     struct fsal_obj_handle *newdir_hdl,
			     const char *new_name
			     LOCALIO_DIR_ATTRS_OUT(olddir)
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
		localio_pub_renamed(exp, obj_hdl, newdir_hdl, new_name);
	return status;
}

static fsal_status_t unlink_(struct fsal_obj_handle *dir_hdl,
			     struct fsal_obj_handle *obj_hdl, const char *name
			     LOCALIO_DIR_ATTRS_OUT(parent))
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *dir = localio_sub(dir_hdl);
	fsal_status_t status;

	LOCALIO_SUBCALL(exp, status = dir->obj_ops->unlink(dir,
							   localio_sub(obj_hdl),
							   name
							   LOCALIO_PASS_DIR_ATTRS(parent)));
	if (!FSAL_IS_ERROR(status))
		localio_pub_removed(exp, obj_hdl);
	return status;
}

static fsal_status_t handle_to_wire(const struct fsal_obj_handle *obj_hdl,
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
		localio_pub_wire(exp, obj, fh_desc);
		return fsalstat(ERR_FSAL_NO_ERROR, 0);
	}
	LOCALIO_SUBCALL(exp, status = sub->obj_ops->handle_to_wire(sub,
								   output_type,
								   fh_desc));
	if (!FSAL_IS_ERROR(status))
		localio_pub_wire(exp, obj, fh_desc);
	return status;
}

static void handle_to_key(struct fsal_obj_handle *obj_hdl,
			  struct gsh_buffdesc *fh_desc)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);

	LOCALIO_SUBCALL(exp, sub->obj_ops->handle_to_key(sub, fh_desc));
}

static bool handle_cmp(struct fsal_obj_handle *obj_hdl1,
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

static bool is_referral(struct fsal_obj_handle *obj_hdl,
			struct fsal_attrlist *attrs, bool cache_attrs)
{
	struct localio_export *exp = localio_current_export();
	struct fsal_obj_handle *sub = localio_sub(obj_hdl);
	bool referral;

	LOCALIO_SUBCALL(exp, referral = sub->obj_ops->is_referral(sub, attrs,
								  cache_attrs));
	return referral;
}

void localio_handle_ops_init(struct fsal_obj_ops *ops)
{
	ops->get_ref = get_ref;
	ops->put_ref = put_ref;
	ops->release = release;
	ops->merge = merge;
	ops->lookup = lookup;
	ops->readdir = read_dirents;
	ops->compute_readdir_cookie = compute_readdir_cookie;
	ops->dirent_cmp = dirent_cmp;
	ops->mkdir = mkdir_;
	ops->mknode = mknode;
	ops->symlink = symlink_;
	ops->readlink = readlink_;
	ops->test_access = test_access;
	ops->getattrs = getattrs;
	ops->link = link_;
	ops->rename = rename_;
	ops->unlink = unlink_;
	ops->handle_to_wire = handle_to_wire;
	ops->handle_to_key = handle_to_key;
	ops->handle_cmp = handle_cmp;
	ops->is_referral = is_referral;
}
