/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO: telling the shared map which handle names which path.
 *
 * The object ops call these after a successful sub-FSAL call; they read
 * the sub-FSAL handle's opaque (exactly what handle_to_wire sends, which
 * is the key a client looks up) and hand it to localio_server. Nothing
 * here changes an op's result: a publish that cannot be done only means
 * the object is served by RPC.
 */
#include "localio_methods.h"

#include <sys/sysmacros.h>

#include "FSAL/fsal_localfs.h"
#include "nfs_fh.h"

#include "localio_server.h"

/* Ganesha's wire handle (nfs_fh.h): a header, then the FSAL's opaque. One
 * descriptor serves NFSv3 and NFSv4, so both structs must agree on it; its
 * fields are bytes, and the opaque's length is one. A Ganesha whose handles
 * do not fit fails to build here rather than publish a wrong format. */
#define LOCALIO_FH_FIELD(type, field) (((type *)0)->field)
#define LOCALIO_FH_SAME_FIELD(field3, field4)                                 \
	_Static_assert(                                                       \
		offsetof(file_handle_v3_t, field3) ==                         \
				offsetof(file_handle_v4_t, field4) &&         \
			sizeof(LOCALIO_FH_FIELD(file_handle_v3_t, field3)) == \
				sizeof(LOCALIO_FH_FIELD(file_handle_v4_t,     \
							field4)),             \
		"NFSv3 and NFSv4 handles differ in " #field4)
LOCALIO_FH_SAME_FIELD(fhversion, fhversion);
LOCALIO_FH_SAME_FIELD(exportid, id.exports);
LOCALIO_FH_SAME_FIELD(fs_len, fs_len);
_Static_assert(offsetof(file_handle_v3_t, fsopaque) ==
		       offsetof(file_handle_v4_t, fsopaque),
	       "NFSv3 and NFSv4 handles differ in fsopaque");
_Static_assert(offsetof(file_handle_v4_t, fhversion) == 0,
	       "the version byte is not the handle's first");
_Static_assert(sizeof(LOCALIO_FH_FIELD(file_handle_v4_t, fs_len)) == 1,
	       "the opaque length is not one byte");
_Static_assert(GANESHA_FH_VERSION <= UINT8_MAX &&
		       LOCALIO_MAX_OPAQUE <= UINT8_MAX,
	       "a handle field does not fit the descriptor's byte");

struct localio_fh_format localio_ganesha_fh_format(void)
{
	struct localio_fh_format f = {
		.version_byte = GANESHA_FH_VERSION,
		.header_len = offsetof(file_handle_v4_t, fsopaque),
		.export_id_offset = offsetof(file_handle_v4_t, id.exports),
		.export_id_size =
			sizeof(LOCALIO_FH_FIELD(file_handle_v4_t, id.exports)),
		/* nfs_filehandle_mgmt.c stores it with htons */
		.export_id_big_endian = 1,
		.opaque_len_offset = offsetof(file_handle_v4_t, fs_len),
		/* nfs3_sizeof_handle (nfs_file_handle.h) rounds up to 4 */
		.v3_pad_multiple = 4,
		.max_opaque_len = LOCALIO_MAX_OPAQUE,
	};

	return f;
}

static bool localio_publishing(const struct localio_export *exp)
{
	return __atomic_load_n(&exp->published, __ATOMIC_ACQUIRE) &&
	       localio_server_running();
}

static enum localio_obj_type localio_obj_type_of(object_file_type_t type)
{
	switch (type) {
	case REGULAR_FILE:
		return LOCALIO_OBJ_REGULAR;
	case DIRECTORY:
		return LOCALIO_OBJ_DIRECTORY;
	case SYMBOLIC_LINK:
		return LOCALIO_OBJ_SYMLINK;
	default:
		return LOCALIO_OBJ_OTHER;
	}
}

/* Takes the sub-FSAL's wire form of hdl's sub handle into hdl (from
 * localio_wrap_handle, before the handle is shared). */
void localio_take_opaque(struct localio_export *exp, struct localio_handle *hdl)
{
	struct gsh_buffdesc desc = { .addr = hdl->opaque,
				     .len = LOCALIO_MAX_OPAQUE };
	struct fsal_obj_handle *sub = hdl->sub_handle;
	fsal_status_t status;

	if (op_ctx == NULL || !localio_publishing(exp))
		return;
	LOCALIO_SUBCALL(exp, status = sub->obj_ops->handle_to_wire(
					sub, FSAL_DIGEST_NFSV4, &desc));
	if (!FSAL_IS_ERROR(status))
		hdl->opaque_len = desc.len;
}

/* Fills obj from a LOCALIO handle; its opaque is the one taken when the
 * handle was made, or taken now into buf. Must run with op_ctx->fsal_export
 * on the LOCALIO export (it switches to the sub). */
static bool localio_describe(struct localio_export *exp,
			     struct fsal_obj_handle *lio,
			     uint8_t buf[LOCALIO_MAX_OPAQUE],
			     struct localio_object *obj)
{
	struct localio_handle *hdl;
	struct fsal_obj_handle *sub;

	if (lio == NULL)
		return false;
	hdl = localio_handle_of(lio);
	sub = hdl->sub_handle;
	if (hdl->opaque_len != 0) {
		obj->opaque = hdl->opaque;
		obj->opaque_len = hdl->opaque_len;
	} else {
		struct gsh_buffdesc desc = { .addr = buf,
					     .len = LOCALIO_MAX_OPAQUE };
		fsal_status_t status;

		LOCALIO_SUBCALL(exp, status = sub->obj_ops->handle_to_wire(
						sub, FSAL_DIGEST_NFSV4, &desc));
		if (FSAL_IS_ERROR(status))
			return false;
		obj->opaque = buf;
		obj->opaque_len = desc.len;
	}
	obj->ino = sub->fileid;
	obj->dev = sub->fs != NULL ? makedev(sub->fs->dev.major,
					     sub->fs->dev.minor) : 0;
	obj->type = localio_obj_type_of(sub->type);
	return true;
}

static void localio_remember(struct fsal_obj_handle *lio, uint64_t stamp)
{
	__atomic_store_n(&localio_handle_of(lio)->map_stamp, stamp,
			 __ATOMIC_RELAXED);
}

void localio_fsal_publish_root(struct localio_export *exp, struct fsal_obj_handle *lio)
{
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object obj;

	if (localio_publishing(exp) && localio_describe(exp, lio, buf, &obj))
		localio_remember(
			lio, localio_publish_root(exp->export.export_id, &obj));
}

void localio_fsal_publish_child(struct localio_export *exp, struct fsal_obj_handle *dir,
		       const char *name, struct fsal_obj_handle *child)
{
	uint8_t dir_buf[LOCALIO_MAX_OPAQUE];
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object d;
	struct localio_object obj;

	if (!localio_publishing(exp) || name == NULL)
		return;
	if (localio_describe(exp, dir, dir_buf, &d) &&
	    localio_describe(exp, child, buf, &obj))
		localio_remember(child, localio_publish_child(
						exp->export.export_id, d.opaque,
						d.opaque_len, name, &obj));
}

void localio_fsal_publish_listed(struct localio_export *exp, struct fsal_obj_handle *dir,
			const char *name, struct fsal_obj_handle *lio)
{
	uint8_t dir_buf[LOCALIO_MAX_OPAQUE];
	struct localio_object d;
	struct localio_listed_as *as;
	size_t name_len;

	if (!localio_publishing(exp) || name == NULL ||
	    !localio_describe(exp, dir, dir_buf, &d))
		return;
	name_len = strlen(name);
	as = gsh_malloc(sizeof(*as) + name_len + 1);
	memcpy(as->parent, d.opaque, d.opaque_len);
	as->parent_len = d.opaque_len;
	memcpy(as->name, name, name_len + 1);
	localio_handle_of(lio)->listed_as = as;	/* not shared yet */
}

void localio_fsal_publish_wire(struct localio_export *exp, struct fsal_obj_handle *lio,
		      const struct gsh_buffdesc *fh_desc)
{
	struct localio_handle *hdl = localio_handle_of(lio);
	struct localio_listed_as *as;
	uint64_t known;

	if (!localio_publishing(exp))
		return;
	localio_export_check_request(exp);
	known = __atomic_load_n(&hdl->map_stamp, __ATOMIC_RELAXED);
	if (known != 0 && known == localio_map_stamp())
		return;	/* nothing has left the map since it held this */
	as = __atomic_exchange_n(&hdl->listed_as, NULL, __ATOMIC_ACQ_REL);
	if (as != NULL) {
		uint8_t buf[LOCALIO_MAX_OPAQUE];
		struct localio_object obj;
		uint64_t stamp = 0;

		if (localio_describe(exp, lio, buf, &obj))
			stamp = localio_publish_child(exp->export.export_id,
						      as->parent, as->parent_len,
						      as->name, &obj);
		gsh_free(as);
		if (stamp != 0) {
			localio_remember(lio, stamp);
			return;
		}
	}
	localio_remember(lio,
			 localio_publish_wire(exp->export.export_id,
					      fh_desc->addr, fh_desc->len));
}

void localio_fsal_publish_object(struct localio_export *exp,
			struct fsal_obj_handle *lio)
{
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object obj;

	if (localio_publishing(exp) && localio_describe(exp, lio, buf, &obj))
		localio_remember(
			lio, localio_publish_wire(exp->export.export_id,
						  obj.opaque, obj.opaque_len));
}

void localio_fsal_publish_removed(struct localio_export *exp,
			 struct fsal_obj_handle *lio)
{
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object obj;

	if (localio_publishing(exp) && localio_describe(exp, lio, buf, &obj)) {
		localio_remember(lio, 0);
		localio_unpublish(exp->export.export_id, obj.opaque, obj.opaque_len);
	}
}

void localio_fsal_publish_access_changed(struct fsal_obj_handle *obj)
{
	if (obj->type == REGULAR_FILE)
		localio_access_changed();
}

void localio_fsal_publish_renamed(struct localio_export *exp,
			 struct fsal_obj_handle *lio,
			 struct fsal_obj_handle *newdir,
			 const char *new_name)
{
	uint8_t dir_buf[LOCALIO_MAX_OPAQUE];
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object dir;
	struct localio_object obj;

	if (!localio_publishing(exp) || !localio_describe(exp, lio, buf, &obj))
		return;
	localio_remember(lio, 0);
	if (localio_describe(exp, newdir, dir_buf, &dir))
		localio_renamed(exp->export.export_id, &obj, dir.opaque,
				dir.opaque_len, new_name);
	else
		localio_unpublish(exp->export.export_id, obj.opaque, obj.opaque_len);
}
