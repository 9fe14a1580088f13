/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO export: creation over a sub-FSAL export, export ops. */
#include "localio_methods.h"
#include "localio_server.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* Every export op below passes to the sub-export with op_ctx switched. */

static const char *localio_get_name(struct fsal_export *exp_hdl)
{
	return localio_export_of(exp_hdl)->name;
}

static void localio_prepare_unexport(struct fsal_export *exp_hdl)
{
	LOCALIO_SUB_EXPORT_VOID(exp_hdl, prepare_unexport);
}

static void localio_unexport(struct fsal_export *exp_hdl,
			     struct fsal_obj_handle *root_obj)
{
	LOCALIO_SUB_EXPORT_VOID(exp_hdl, unexport, localio_sub(root_obj));
}

static void localio_unmount(struct fsal_export *parent_exp_hdl,
			    struct fsal_obj_handle *junction_obj)
{
	LOCALIO_SUB_EXPORT_VOID(parent_exp_hdl, unmount,
				localio_sub(junction_obj));
}

static void localio_export_release(struct fsal_export *exp_hdl)
{
	struct localio_export *exp = localio_export_of(exp_hdl);
	struct fsal_export *sub = exp->export.sub_export;
	struct fsal_module *sub_fsal = sub->fsal;

	if (__atomic_load_n(&exp->published, __ATOMIC_ACQUIRE))
		localio_server_remove_export(exp_hdl->export_id);
	LOCALIO_SUBCALL(exp, sub->exp_ops.release(sub));
	/* The reference subfsal_commit took when the export was parsed. */
	fsal_put(sub_fsal);

	fsal_detach_export(exp_hdl->fsal, &exp_hdl->exports);
	free_export_ops(exp_hdl);
	gsh_free(exp->client_root);
	gsh_free(exp->name);
	gsh_free(exp);
}

static fsal_status_t localio_lookup_path(struct fsal_export *exp_hdl,
					 const char *path,
					 struct fsal_obj_handle **handle,
					 struct fsal_attrlist *attrs_out)
{
	struct localio_export *exp = localio_export_of(exp_hdl);
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status = LOCALIO_SUB_EXPORT_CALL(
		exp_hdl, lookup_path, path, &sub_handle, attrs_out);

	status = localio_wrap_result(exp, status, sub_handle, handle);
	if (!FSAL_IS_ERROR(status) && op_ctx->ctx_fullpath != NULL &&
	    strcmp(path, CTX_FULLPATH(op_ctx)) == 0)
		localio_fsal_publish_root(exp, *handle);
	return status;
}

static fsal_status_t localio_lookup_junction(struct fsal_export *exp_hdl,
					     struct fsal_obj_handle *junction,
					     struct fsal_obj_handle **handle)
{
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status = LOCALIO_SUB_EXPORT_CALL(
		exp_hdl, lookup_junction, localio_sub(junction), &sub_handle);

	return localio_wrap_result(localio_export_of(exp_hdl), status,
				   sub_handle, handle);
}

static fsal_status_t localio_wire_to_host(struct fsal_export *exp_hdl,
					  fsal_digesttype_t in_type,
					  struct gsh_buffdesc *fh_desc,
					  int flags)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, wire_to_host, in_type, fh_desc,
				       flags);
}

static fsal_status_t localio_host_to_key(struct fsal_export *exp_hdl,
					 struct gsh_buffdesc *fh_desc)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, host_to_key, fh_desc);
}

static fsal_status_t localio_create_handle(struct fsal_export *exp_hdl,
					   struct gsh_buffdesc *fh_desc,
					   struct fsal_obj_handle **handle,
					   struct fsal_attrlist *attrs_out)
{
	struct localio_export *exp = localio_export_of(exp_hdl);
	struct fsal_obj_handle *sub_handle = NULL;
	fsal_status_t status = LOCALIO_SUB_EXPORT_CALL(
		exp_hdl, create_handle, fh_desc, &sub_handle, attrs_out);

	/* A handle from the wire that is not cached: after a restart or an
	 * eviction the map may not know it, and no name comes with it. */
	status = localio_wrap_result(exp, status, sub_handle, handle);
	if (!FSAL_IS_ERROR(status))
		localio_fsal_publish_object(exp, *handle);
	return status;
}

static fsal_status_t
localio_get_fs_dynamic_info(struct fsal_export *exp_hdl,
			    struct fsal_obj_handle *obj_hdl,
			    fsal_dynamicfsinfo_t *info)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, get_fs_dynamic_info,
				       localio_sub(obj_hdl), info);
}

static bool localio_fs_supports(struct fsal_export *exp_hdl,
				fsal_fsinfo_options_t option)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, fs_supports, option);
}

/* The many getters that take only the export share one shape. */
#define LOCALIO_EXPORT_GETTER(type, op)                       \
	static type localio_##op(struct fsal_export *exp_hdl) \
	{                                                     \
		return LOCALIO_SUB_EXPORT_CALL(exp_hdl, op);  \
	}

LOCALIO_EXPORT_GETTER(uint64_t, fs_maxfilesize)
LOCALIO_EXPORT_GETTER(uint32_t, fs_maxread)
LOCALIO_EXPORT_GETTER(uint32_t, fs_maxwrite)
LOCALIO_EXPORT_GETTER(uint32_t, fs_maxlink)
LOCALIO_EXPORT_GETTER(uint32_t, fs_maxnamelen)
LOCALIO_EXPORT_GETTER(uint32_t, fs_maxpathlen)
LOCALIO_EXPORT_GETTER(fsal_aclsupp_t, fs_acl_support)
LOCALIO_EXPORT_GETTER(attrmask_t, fs_supported_attrs)
LOCALIO_EXPORT_GETTER(uint32_t, fs_umask)
LOCALIO_EXPORT_GETTER(uint32_t, fs_layout_blocksize)
LOCALIO_EXPORT_GETTER(uint32_t, fs_maximum_segments)
LOCALIO_EXPORT_GETTER(size_t, fs_loc_body_size)
LOCALIO_EXPORT_GETTER(int32_t, fs_expiretimeparent)

static fsal_status_t localio_check_quota(struct fsal_export *exp_hdl,
					 const char *filepath, int quota_type)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, check_quota, filepath,
				       quota_type);
}

static fsal_status_t localio_get_quota(struct fsal_export *exp_hdl,
				       const char *filepath, int quota_type,
				       int quota_id, fsal_quota_t *quota)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, get_quota, filepath, quota_type,
				       quota_id, quota);
}

static fsal_status_t localio_set_quota(struct fsal_export *exp_hdl,
				       const char *filepath, int quota_type,
				       int quota_id, fsal_quota_t *quota,
				       fsal_quota_t *resquota)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, set_quota, filepath, quota_type,
				       quota_id, quota, resquota);
}

static nfsstat4
localio_getdevicelist(struct fsal_export *exp_hdl, layouttype4 type,
		      void *opaque, bool (*cb)(void *opaque, const uint64_t id),
		      struct fsal_getdevicelist_res *res)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, getdevicelist, type, opaque, cb,
				       res);
}

static void localio_fs_layouttypes(struct fsal_export *exp_hdl, int32_t *count,
				   const layouttype4 **types)
{
	LOCALIO_SUB_EXPORT_VOID(exp_hdl, fs_layouttypes, count, types);
}

static void localio_get_write_verifier(struct fsal_export *exp_hdl,
				       struct gsh_buffdesc *verf_desc)
{
	LOCALIO_SUB_EXPORT_VOID(exp_hdl, get_write_verifier, verf_desc);
}

/* State comes from the sub-FSAL so that it carries the sub-FSAL's per-open
 * data (VFS's fd); LOCALIO's file ops hand it back down unchanged. */
static struct state_t *localio_alloc_state(struct fsal_export *exp_hdl,
					   enum state_type state_type,
					   struct state_t *related_state)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, alloc_state, state_type,
				       related_state);
}

static bool localio_is_superuser(struct fsal_export *exp_hdl,
				 const struct user_cred *creds)
{
	return LOCALIO_SUB_EXPORT_CALL(exp_hdl, is_superuser, creds);
}

void localio_export_ops_init(struct export_ops *ops)
{
	ops->get_name = localio_get_name;
	ops->prepare_unexport = localio_prepare_unexport;
	ops->unexport = localio_unexport;
	ops->unmount = localio_unmount;
	ops->release = localio_export_release;
	ops->lookup_path = localio_lookup_path;
	ops->lookup_junction = localio_lookup_junction;
	ops->wire_to_host = localio_wire_to_host;
	ops->host_to_key = localio_host_to_key;
	ops->create_handle = localio_create_handle;
	ops->get_fs_dynamic_info = localio_get_fs_dynamic_info;
	ops->fs_supports = localio_fs_supports;
	ops->fs_maxfilesize = localio_fs_maxfilesize;
	ops->fs_maxread = localio_fs_maxread;
	ops->fs_maxwrite = localio_fs_maxwrite;
	ops->fs_maxlink = localio_fs_maxlink;
	ops->fs_maxnamelen = localio_fs_maxnamelen;
	ops->fs_maxpathlen = localio_fs_maxpathlen;
	ops->fs_acl_support = localio_fs_acl_support;
	ops->fs_supported_attrs = localio_fs_supported_attrs;
	ops->fs_umask = localio_fs_umask;
	ops->check_quota = localio_check_quota;
	ops->get_quota = localio_get_quota;
	ops->set_quota = localio_set_quota;
	ops->getdevicelist = localio_getdevicelist;
	ops->fs_layouttypes = localio_fs_layouttypes;
	ops->fs_layout_blocksize = localio_fs_layout_blocksize;
	ops->fs_maximum_segments = localio_fs_maximum_segments;
	ops->fs_loc_body_size = localio_fs_loc_body_size;
	ops->get_write_verifier = localio_get_write_verifier;
	ops->alloc_state = localio_alloc_state;
	ops->is_superuser = localio_is_superuser;
	ops->fs_expiretimeparent = localio_fs_expiretimeparent;
	localio_version_export_ops_init(ops);
}
