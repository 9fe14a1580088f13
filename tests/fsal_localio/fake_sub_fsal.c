/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Fake sub-FSAL: see fake_sub_fsal.h. */
#include "fake_sub_fsal.h"

#include <stdlib.h>
#include <sys/sysmacros.h>

#include "FSAL/fsal_localfs.h"
#include <string.h>

struct fake_call fake_last;
fsal_status_t fake_next_status;
fsal_status_t fake_create_export_status;
struct fake_export *fake_last_export;
bool fake_defer_io;

static struct fsal_module fake_module;
static struct fsal_obj_ops fake_obj_ops;

static struct {
	uint8_t opaque[LOCALIO_MAX_OPAQUE];
	size_t len;
	object_file_type_t type;
	uint64_t ino;
	dev_t dev;
} queue[FAKE_QUEUE_MAX];
/* The filesystem of the queued objects (one per test run: the export's). */
static struct fsal_filesystem fake_fs;
static int queue_head, queue_len;

static struct {
	struct fsal_obj_handle *obj;
	fsal_async_cb cb;
	struct fsal_io_arg *io_arg;
	void *cb_arg;
} pending_io;

void fake_record(const char *op, struct fsal_obj_handle *obj,
		 struct fsal_obj_handle *obj2, const void *arg)
{
	fake_last.op = op;
	fake_last.ctx_export = op_ctx->fsal_export;
	fake_last.obj = obj;
	fake_last.obj2 = obj2;
	fake_last.arg = arg;
	fake_last.count++;
}

fsal_status_t fake_answer(const char *op, struct fsal_obj_handle *obj,
			  struct fsal_obj_handle *obj2, const void *arg)
{
	fake_record(op, obj, obj2, arg);
	return fake_next_status;
}

static void fake_record_dir_attrs(struct fsal_attrlist *const *seen,
				  size_t n)
{
	for (size_t i = 0; i < n && i < 4; i++)
		fake_last.dir_attrs[i] = seen[i];
}

/* Records the directory attributes an op received: the arguments are
 * LOCALIO_PASS_DIR_ATTRS(...) forms, nothing on 4.3. */
#define RECORD_DIR_ATTRS(...)						\
	do {								\
		struct fsal_attrlist *const seen_[] = { NULL __VA_ARGS__ }; \
									\
		fake_record_dir_attrs(seen_ + 1,			\
				      sizeof(seen_) / sizeof(seen_[0]) - 1); \
	} while (0)

int fake_wire_calls;

void fake_reset(void)
{
	int released = fake_last.released;

	fake_wire_calls = 0;
	memset(&fake_last, 0, sizeof(fake_last));
	fake_last.released = released;
	fake_next_status = fsalstat(ERR_FSAL_NO_ERROR, 0);
	fake_create_export_status = fsalstat(ERR_FSAL_NO_ERROR, 0);
	fake_defer_io = false;
	memset(&pending_io, 0, sizeof(pending_io));
	queue_head = queue_len = 0;
}

void fake_queue_handle(const void *opaque, size_t len,
		       object_file_type_t type, uint64_t ino, dev_t dev)
{
	int slot = (queue_head + queue_len) % FAKE_QUEUE_MAX;

	if (queue_len == FAKE_QUEUE_MAX || len > LOCALIO_MAX_OPAQUE)
		abort();	/* a test asking for more than it may */
	memcpy(queue[slot].opaque, opaque, len);
	queue[slot].len = len;
	queue[slot].type = type;
	queue[slot].ino = ino;
	queue[slot].dev = dev;
	queue_len++;
}

int fake_queued(void)
{
	return queue_len;
}

static struct fsal_obj_handle *new_typed(int id, object_file_type_t type)
{
	struct fake_handle *h = gsh_calloc(1, sizeof(*h));

	uint64_t fileid = 1000 + id;
	struct fsal_filesystem *fs = NULL;

	if (queue_len > 0) {
		fileid = queue[queue_head].ino;
		fake_fs.dev.major = major(queue[queue_head].dev);
		fake_fs.dev.minor = minor(queue[queue_head].dev);
		fs = &fake_fs;
		memcpy(h->opaque, queue[queue_head].opaque,
		       queue[queue_head].len);
		h->opaque_len = queue[queue_head].len;
		if (queue[queue_head].type != NO_FILE_TYPE)
			type = queue[queue_head].type;
		queue_head = (queue_head + 1) % FAKE_QUEUE_MAX;
		queue_len--;
	} else {
		memcpy(h->opaque, &id, sizeof(id));
		h->opaque_len = sizeof(id);
	}
	localio_obj_handle_init(&h->obj, &fake_last_export->export, type);
	h->obj.obj_ops = &fake_obj_ops;
	h->obj.fileid = fileid;
	h->obj.fs = fs;
	h->id = id;
	return &h->obj;
}

struct fsal_obj_handle *fake_handle_new(int id)
{
	return new_typed(id, REGULAR_FILE);
}

/* Produces a handle and attributes when the configured status is success */
static fsal_status_t make_typed(struct fsal_obj_handle **out,
				struct fsal_attrlist *attrs_out, int id,
				object_file_type_t type)
{
	if (FSAL_IS_ERROR(fake_next_status))
		return fake_next_status;
	*out = new_typed(id, type);
	if (attrs_out != NULL) {
		attrs_out->filesize = FAKE_FILESIZE;
		attrs_out->valid_mask |= ATTR_SIZE;
	}
	return fake_next_status;
}

static fsal_status_t make_handle(struct fsal_obj_handle **out,
				 struct fsal_attrlist *attrs_out, int id)
{
	return make_typed(out, attrs_out, id, REGULAR_FILE);
}

/* ---- object ops ---- */

static void fake_release(struct fsal_obj_handle *obj)
{
	fake_record(__func__, obj, NULL, NULL);
	fake_last.released++;
	localio_obj_handle_fini(obj);
	gsh_free(container_of(obj, struct fake_handle, obj));
}

static fsal_status_t fake_lookup(struct fsal_obj_handle *dir, const char *path,
				 struct fsal_obj_handle **handle,
				 struct fsal_attrlist *attrs_out)
{
	fake_record(__func__, dir, NULL, path);
	return make_handle(handle, attrs_out, 2);
}

static fsal_status_t fake_mkdir(struct fsal_obj_handle *dir, const char *name,
				struct fsal_attrlist *attrs_in,
				struct fsal_obj_handle **new_obj,
				struct fsal_attrlist *attrs_out
				LOCALIO_DIR_ATTRS_OUT(parent))
{
	fake_record(__func__, dir, NULL, attrs_in);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(parent));
	(void)name;
	return make_typed(new_obj, attrs_out, 3, DIRECTORY);
}

static fsal_status_t fake_mknode(struct fsal_obj_handle *dir,
				 const char *name, object_file_type_t nodetype,
				 struct fsal_attrlist *attrs_in,
				 struct fsal_obj_handle **new_obj,
				 struct fsal_attrlist *attrs_out
				 LOCALIO_DIR_ATTRS_OUT(parent))
{
	(void)name;
	fake_record(__func__, dir, NULL, attrs_in);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(parent));
	return make_typed(new_obj, attrs_out, 6, nodetype);
}

static fsal_status_t fake_symlink(struct fsal_obj_handle *dir,
				  const char *name, const char *link_path,
				  struct fsal_attrlist *attrs_in,
				  struct fsal_obj_handle **new_obj,
				  struct fsal_attrlist *attrs_out
				  LOCALIO_DIR_ATTRS_OUT(parent))
{
	(void)name;
	(void)attrs_in;
	fake_record(__func__, dir, NULL, link_path);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(parent));
	return make_typed(new_obj, attrs_out, 7, SYMBOLIC_LINK);
}

static fsal_status_t fake_link(struct fsal_obj_handle *obj,
			       struct fsal_obj_handle *destdir,
			       const char *name LOCALIO_DIR_ATTRS_OUT(destdir))
{
	fake_record(__func__, obj, destdir, name);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(destdir));
	return fake_next_status;
}

static fsal_status_t fake_getattrs(struct fsal_obj_handle *obj,
				   struct fsal_attrlist *attrs_out)
{
	fake_record(__func__, obj, NULL, attrs_out);
	if (!FSAL_IS_ERROR(fake_next_status)) {
		attrs_out->filesize = FAKE_FILESIZE;
		attrs_out->valid_mask |= ATTR_SIZE;
	}
	return fake_next_status;
}

static fsal_status_t fake_setattr2(struct fsal_obj_handle *obj, bool bypass,
				   struct state_t *state,
				   struct fsal_attrlist *attrs)
{
	(void)bypass;
	(void)attrs;
	return fake_answer(__func__, obj, NULL, state);
}

static fsal_status_t fake_rename(struct fsal_obj_handle *obj,
				 struct fsal_obj_handle *olddir,
				 const char *old_name,
				 struct fsal_obj_handle *newdir,
				 const char *new_name
				 LOCALIO_DIR_ATTRS_OUT(olddir)
				 LOCALIO_DIR_ATTRS_OUT(newdir))
{
	(void)old_name;
	fake_record(__func__, olddir, newdir, new_name);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(olddir)
			 LOCALIO_PASS_DIR_ATTRS(newdir));
	fake_last.arg = obj;	/* the renamed object, checked by the test */
	return fake_next_status;
}

static fsal_status_t fake_unlink(struct fsal_obj_handle *dir,
				 struct fsal_obj_handle *obj, const char *name
				 LOCALIO_DIR_ATTRS_OUT(parent))
{
	fake_record(__func__, dir, obj, name);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(parent));
	return fake_next_status;
}

/* Calls back with two fresh entries, as a directory with "a" and "b". */
static fsal_status_t fake_readdir(struct fsal_obj_handle *dir,
				  fsal_cookie_t *whence, void *dir_state,
				  fsal_readdir_cb cb, attrmask_t attrmask,
				  bool *eof)
{
	struct fsal_attrlist attrs = { 0 };
	struct fsal_export *sub = op_ctx->fsal_export;

	(void)attrmask;
	fake_record(__func__, dir, NULL, whence);
	if (FSAL_IS_ERROR(fake_next_status))
		return fake_next_status;
	cb("a", fake_handle_new(10), &attrs, dir_state, 1);
	/* the callback must give op_ctx back as it found it */
	if (op_ctx->fsal_export != sub)
		return fsalstat(ERR_FSAL_SERVERFAULT, 0);
	cb("b", fake_handle_new(11), &attrs, dir_state, 2);
	*eof = true;
	return fake_next_status;
}

static fsal_status_t fake_handle_to_wire(const struct fsal_obj_handle *obj,
					 fsal_digesttype_t type,
					 struct gsh_buffdesc *fh_desc)
{
	const struct fake_handle *h = container_of(obj, struct fake_handle,
						   obj);

	(void)type;
	fake_wire_calls++;
	fake_record(__func__, (struct fsal_obj_handle *)obj, NULL, fh_desc);
	if (FSAL_IS_ERROR(fake_next_status))
		return fake_next_status;
	if (fh_desc->len < h->opaque_len)
		return fsalstat(ERR_FSAL_TOOSMALL, 0);
	memcpy(fh_desc->addr, h->opaque, h->opaque_len);
	fh_desc->len = h->opaque_len;
	return fake_next_status;
}

static fsal_status_t fake_merge(struct fsal_obj_handle *orig,
				struct fsal_obj_handle *dupe)
{
	return fake_answer(__func__, orig, dupe, NULL);
}

static fsal_status_t fake_lease_op2(struct fsal_obj_handle *obj,
				    struct state_t *state, void *owner,
				    fsal_deleg_t deleg)
{
	(void)owner;
	(void)deleg;
	return fake_answer(__func__, obj, NULL, state);
}

static fsal_status_t fake_open2(struct fsal_obj_handle *obj,
				struct state_t *state,
				fsal_openflags_t openflags,
				enum fsal_create_mode createmode,
				const char *name, struct fsal_attrlist *attrs_in,
				fsal_verifier_t verifier,
				struct fsal_obj_handle **new_obj,
				struct fsal_attrlist *attrs_out,
				bool *caller_perm_check
				LOCALIO_DIR_ATTRS_OUT(parent))
{
	(void)openflags;
	(void)createmode;
	(void)attrs_in;
	(void)verifier;
	fake_record(__func__, obj, NULL, state);
	RECORD_DIR_ATTRS(LOCALIO_PASS_DIR_ATTRS(parent));
	*caller_perm_check = true;
	if (name == NULL)	/* open by handle: nothing new */
		return fake_next_status;
	return make_handle(new_obj, attrs_out, 4);
}

static fsal_status_t fake_commit2(struct fsal_obj_handle *obj, off_t offset,
				  size_t len)
{
	(void)offset;
	(void)len;
	return fake_answer(__func__, obj, NULL, NULL);
}

static fsal_status_t fake_close2(struct fsal_obj_handle *obj,
				 struct state_t *state)
{
	return fake_answer(__func__, obj, NULL, state);
}

static void fake_io(const char *op, struct fsal_obj_handle *obj,
		    fsal_async_cb done_cb, struct fsal_io_arg *io_arg,
		    void *caller_arg)
{
	fake_record(op, obj, NULL, io_arg);
	if (fake_defer_io) {
		pending_io.obj = obj;
		pending_io.cb = done_cb;
		pending_io.io_arg = io_arg;
		pending_io.cb_arg = caller_arg;
		return;
	}
	io_arg->io_amount = FAKE_FILESIZE;
	done_cb(obj, fake_next_status, io_arg, caller_arg);
}

static void fake_read2(struct fsal_obj_handle *obj, bool bypass,
		       fsal_async_cb done_cb, struct fsal_io_arg *read_arg,
		       void *caller_arg)
{
	(void)bypass;
	fake_io(__func__, obj, done_cb, read_arg, caller_arg);
}

static void fake_write2(struct fsal_obj_handle *obj, bool bypass,
			fsal_async_cb done_cb, struct fsal_io_arg *write_arg,
			void *caller_arg)
{
	(void)bypass;
	fake_io(__func__, obj, done_cb, write_arg, caller_arg);
}

void fake_complete_io(fsal_status_t status)
{
	struct fsal_export *saved = op_ctx->fsal_export;

	op_ctx->fsal_export = &fake_last_export->export;
	pending_io.io_arg->io_amount = FAKE_FILESIZE;
	pending_io.cb(pending_io.obj, status, pending_io.io_arg,
		      pending_io.cb_arg);
	op_ctx->fsal_export = saved;
}

static fsal_status_t fake_getxattrs(struct fsal_obj_handle *obj,
				    xattrkey4 *name, xattrvalue4 *value)
{
	(void)value;
	return fake_answer(__func__, obj, NULL, name);
}

static fsal_status_t fake_setxattrs(struct fsal_obj_handle *obj,
				    setxattr_option4 option, xattrkey4 *name,
				    xattrvalue4 *value)
{
	(void)option;
	(void)value;
	return fake_answer(__func__, obj, NULL, name);
}

/* The 9P extended attribute ops (the name or id is the checked argument). */
static fsal_status_t fake_setextattr_value(struct fsal_obj_handle *obj,
					   const char *name, void *buf,
					   size_t size, int create)
{
	(void)buf;
	(void)size;
	(void)create;
	return fake_answer(__func__, obj, NULL, name);
}

static fsal_status_t fake_setextattr_value_by_id(struct fsal_obj_handle *obj,
						 unsigned int id, void *buf,
						 size_t size)
{
	(void)id;
	(void)buf;
	(void)size;
	return fake_answer(__func__, obj, NULL, NULL);
}

static fsal_status_t fake_remove_extattr_by_id(struct fsal_obj_handle *obj,
					       unsigned int id)
{
	(void)id;
	return fake_answer(__func__, obj, NULL, NULL);
}

static fsal_status_t fake_remove_extattr_by_name(struct fsal_obj_handle *obj,
						 const char *name)
{
	return fake_answer(__func__, obj, NULL, name);
}

static fsal_status_t fake_removexattrs(struct fsal_obj_handle *obj,
				       xattrkey4 *name)
{
	return fake_answer(__func__, obj, NULL, name);
}

static fsal_status_t fake_listxattrs(struct fsal_obj_handle *obj,
				     count4 maxcount, nfs_cookie4 *cookie,
				     bool_t *eof, xattrlist4 *names)
{
	(void)maxcount;
	(void)cookie;
	fake_record(__func__, obj, NULL, names);
	*eof = true;
	return fake_next_status;
}

/* ---- export ops ---- */

static void fake_export_release(struct fsal_export *exp_hdl)
{
	struct fake_export *exp = container_of(exp_hdl, struct fake_export,
					       export);

	fake_record(__func__, NULL, NULL, exp_hdl);
	fsal_detach_export(exp_hdl->fsal, &exp_hdl->exports);
	free_export_ops(exp_hdl);
	if (fake_last_export == exp)
		fake_last_export = NULL;
	gsh_free(exp);
}

static fsal_status_t fake_lookup_path(struct fsal_export *exp_hdl,
				      const char *path,
				      struct fsal_obj_handle **handle,
				      struct fsal_attrlist *attrs_out)
{
	fake_record(__func__, NULL, NULL, path);
	(void)exp_hdl;
	return make_typed(handle, attrs_out, 1, DIRECTORY);
}

static fsal_status_t fake_create_handle(struct fsal_export *exp_hdl,
					struct gsh_buffdesc *fh_desc,
					struct fsal_obj_handle **handle,
					struct fsal_attrlist *attrs_out)
{
	(void)exp_hdl;
	fake_record(__func__, NULL, NULL, fh_desc);
	return make_handle(handle, attrs_out, 5);
}

static uint32_t fake_fs_maxread(struct fsal_export *exp_hdl)
{
	(void)exp_hdl;
	fake_record(__func__, NULL, NULL, NULL);
	return 123456;
}

static struct state_t *fake_alloc_state(struct fsal_export *exp_hdl,
					enum state_type state_type,
					struct state_t *related_state)
{
	(void)exp_hdl;
	(void)state_type;
	fake_record(__func__, NULL, NULL, related_state);
	return gsh_calloc(1, sizeof(struct state_t));
}

static fsal_status_t fake_create_export(struct fsal_module *fsal_hdl,
					void *parse_node,
					struct config_error_type *err_type,
					const struct fsal_up_vector *up_ops)
{
	struct fake_export *exp;

	(void)parse_node;
	(void)err_type;
	fake_record(__func__, NULL, NULL, up_ops);
	if (FSAL_IS_ERROR(fake_create_export_status))
		return fake_create_export_status;
	exp = gsh_calloc(1, sizeof(*exp));
	fsal_export_init(&exp->export);
	exp->export.exp_ops.release = fake_export_release;
	exp->export.exp_ops.lookup_path = fake_lookup_path;
	exp->export.exp_ops.create_handle = fake_create_handle;
	exp->export.exp_ops.fs_maxread = fake_fs_maxread;
	exp->export.exp_ops.alloc_state = fake_alloc_state;
	fake_version_export_ops_init(&exp->export.exp_ops);
	exp->export.fsal = fsal_hdl;
	exp->export.up_ops = up_ops;
	fsal_attach_export(fsal_hdl, &exp->export.exports);
	fake_last_export = exp;
	op_ctx->fsal_export = &exp->export;
	return fsalstat(ERR_FSAL_NO_ERROR, 0);
}

void fake_sub_register(void)
{
	static bool registered;

	if (registered)
		return;
	registered = true;
	if (register_fsal(&fake_module, FAKE_SUB_NAME, FSAL_MAJOR_VERSION,
			  FSAL_MINOR_VERSION, FSAL_ID_NO_PNFS) != 0)
		abort();
	fake_module.m_ops.create_export = fake_create_export;

	fsal_default_obj_ops_init(&fake_obj_ops);
	fake_obj_ops.release = fake_release;
	fake_obj_ops.lookup = fake_lookup;
	fake_obj_ops.mkdir = fake_mkdir;
	fake_obj_ops.mknode = fake_mknode;
	fake_obj_ops.symlink = fake_symlink;
	fake_obj_ops.link = fake_link;
	fake_obj_ops.getattrs = fake_getattrs;
	fake_obj_ops.setattr2 = fake_setattr2;
	fake_obj_ops.rename = fake_rename;
	fake_obj_ops.unlink = fake_unlink;
	fake_obj_ops.readdir = fake_readdir;
	fake_obj_ops.handle_to_wire = fake_handle_to_wire;
	fake_obj_ops.merge = fake_merge;
	fake_obj_ops.lease_op2 = fake_lease_op2;
	fake_obj_ops.open2 = fake_open2;
	fake_obj_ops.commit2 = fake_commit2;
	fake_obj_ops.close2 = fake_close2;
	fake_obj_ops.read2 = fake_read2;
	fake_obj_ops.write2 = fake_write2;
	fake_obj_ops.getxattrs = fake_getxattrs;
	fake_obj_ops.setxattrs = fake_setxattrs;
	fake_obj_ops.removexattrs = fake_removexattrs;
	fake_obj_ops.listxattrs = fake_listxattrs;
	fake_obj_ops.setextattr_value = fake_setextattr_value;
	fake_obj_ops.setextattr_value_by_id = fake_setextattr_value_by_id;
	fake_obj_ops.remove_extattr_by_id = fake_remove_extattr_by_id;
	fake_obj_ops.remove_extattr_by_name = fake_remove_extattr_by_name;
	fake_version_obj_ops_init(&fake_obj_ops);
	fake_reset();
}
