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

#include "localio_server.h"

static bool publishing(const struct localio_export *exp)
{
	return exp->published && localio_server_running();
}

static enum localio_obj_type obj_type_of(object_file_type_t type)
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

/* Fills obj from a sub-FSAL handle; the opaque lands in buf. Must run with
 * op_ctx->fsal_export on the LOCALIO export (it switches to the sub). */
static bool describe(struct localio_export *exp, struct fsal_obj_handle *sub,
		     uint8_t buf[LOCALIO_MAX_OPAQUE],
		     struct localio_object *obj)
{
	struct gsh_buffdesc desc = { .addr = buf, .len = LOCALIO_MAX_OPAQUE };
	fsal_status_t status;

	if (sub == NULL)
		return false;
	LOCALIO_SUBCALL(exp, status = sub->obj_ops->handle_to_wire(
					sub, FSAL_DIGEST_NFSV4, &desc));
	if (FSAL_IS_ERROR(status))
		return false;
	obj->opaque = buf;
	obj->opaque_len = desc.len;
	obj->ino = sub->fileid;
	obj->dev = sub->fs != NULL ? makedev(sub->fs->dev.major,
					     sub->fs->dev.minor) : 0;
	obj->type = obj_type_of(sub->type);
	return true;
}

void localio_pub_root(struct localio_export *exp, struct fsal_obj_handle *sub)
{
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object obj;

	if (publishing(exp) && describe(exp, sub, buf, &obj))
		localio_publish_root(exp->export.export_id, &obj);
}

void localio_pub_child(struct localio_export *exp,
		       struct fsal_obj_handle *sub_dir, const char *name,
		       struct fsal_obj_handle *sub_child)
{
	uint8_t dir_buf[LOCALIO_MAX_OPAQUE];
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object dir;
	struct localio_object obj;

	if (!publishing(exp) || name == NULL)
		return;
	if (describe(exp, sub_dir, dir_buf, &dir) &&
	    describe(exp, sub_child, buf, &obj))
		localio_publish_child(exp->export.export_id, dir.opaque,
				      dir.opaque_len, name, &obj);
}

void localio_pub_wire(struct localio_export *exp,
		      const struct gsh_buffdesc *fh_desc)
{
	if (publishing(exp))
		localio_publish_wire(exp->export.export_id, fh_desc->addr,
				     fh_desc->len);
}

void localio_pub_object(struct localio_export *exp,
			struct fsal_obj_handle *sub)
{
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object obj;

	if (publishing(exp) && describe(exp, sub, buf, &obj))
		localio_publish_wire(exp->export.export_id, obj.opaque,
				     obj.opaque_len);
}

void localio_pub_removed(struct localio_export *exp,
			 struct fsal_obj_handle *sub)
{
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object obj;

	if (publishing(exp) && describe(exp, sub, buf, &obj))
		localio_unpublish(exp->export.export_id, obj.opaque, obj.opaque_len);
}

void localio_pub_renamed(struct localio_export *exp,
			 struct fsal_obj_handle *sub,
			 struct fsal_obj_handle *sub_newdir,
			 const char *new_name)
{
	uint8_t dir_buf[LOCALIO_MAX_OPAQUE];
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct localio_object dir;
	struct localio_object obj;

	if (!publishing(exp) || !describe(exp, sub, buf, &obj))
		return;
	if (describe(exp, sub_newdir, dir_buf, &dir))
		localio_renamed(exp->export.export_id, &obj, dir.opaque,
				dir.opaque_len, new_name);
	else
		localio_unpublish(exp->export.export_id, obj.opaque, obj.opaque_len);
}
