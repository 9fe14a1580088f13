/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO private declarations.
 *
 * LOCALIO is a stackable FSAL: each LOCALIO export sits on an export of a
 * sub-FSAL (VFS first) and each LOCALIO object handle wraps one handle of
 * that sub-FSAL. Every operation is passed to the sub-FSAL with
 * op_ctx->fsal_export switched to the sub-export for the duration of the
 * call, because sub-FSALs find their own export through op_ctx.
 */
#ifndef LOCALIO_METHODS_H
#define LOCALIO_METHODS_H

#include "ganesha_compat.h"
#include "config_parsing.h"
#include "localio_config.h"
#include "localio/fh_format.h"
#include "localio/map_enums.h"
#include "nfs_fh.h"

/* The FSAL's name: Ganesha loads it from <Plugins_Dir>/libfsallocalio.so */
#define LOCALIO_FSAL_NAME "LOCALIO"

struct localio_fsal_module {
	struct fsal_module module;
	struct fsal_obj_ops handle_ops;	/* shared by all LOCALIO handles */
	struct localio_module_config config;
};

extern struct localio_fsal_module LOCALIO;

/* The access an export's row in the map advertises (localio_export_access). */
struct localio_row_access {
	bool read_only;
	enum localio_squash squash;
	uint32_t anon_uid;
	uint32_t anon_gid;
};

struct localio_export {
	struct fsal_export export;
	char *client_root;	/* where clients see Path; NULL = same path */
	char *name;		/* "LOCALIO/<sub-FSAL name>" for get_name */
	/* The export is in the shared map (its entries, and its row unless
	 * suspended); read and written atomically (worker threads read it
	 * while the republish job writes it). */
	bool published;
	/* The map's row has `row`'s access: set (release) after `row` is
	 * written, cleared while an update has the row suspended and when a
	 * request withdraws it (localio_export_check_request). */
	bool row_live;
	struct localio_row_access row;
	bool kernel_handles;	/* over FSAL_VFS: handles resolve from the kernel */
};

/* Largest FSAL opaque a handle_to_wire may produce: an NFSv4 handle
 * (NFS4_FHSIZE) less Ganesha's header before the opaque (nfs_fh.h). The
 * map keeps opaques up to kMapMaxHandleLen (map_layout.h); longer ones are
 * not published and go through RPC. */
#define LOCALIO_MAX_OPAQUE (NFS4_FHSIZE - offsetof(file_handle_v4_t, fsopaque))

/* LOCALIO WROTE: a client wrote the object `opaque` of export `export_id`
 * behind Ganesha's back; MDCACHE's attributes of it are dropped, so the
 * next GETATTR reads them from the sub-FSAL (export_wrote.c). 0, -ENOENT
 * (no LOCALIO export of that id), -EINVAL (not one of its handles) or
 * -EIO. */
int localio_export_wrote(uint16_t export_id, const void *opaque,
			 size_t opaque_len);

/* Our export in the stack under a gsh_export's top export (MDCACHE's), or
 * NULL when the export is not a LOCALIO one (export_wrote.c). */
struct localio_export *localio_export_in(struct fsal_export *top);

/* Puts the export's row into the shared map (export_access.c), with the
 * access of op_ctx's export as RPC gives it now; withdrawn when the bypass
 * cannot match it. generation: 0, or localio_server_suspend_export's.
 * admin_count: NULL, or the export_admin_counter value the caller saw
 * (-EAGAIN when an export update came since). 0 or a negative errno. */
int localio_export_publish_row(struct localio_export *exp, uint64_t generation,
			       const uint64_t *admin_count);

/* The request in op_ctx was given less than the export's row advertises
 * (by EXPORT_DEFAULTS, which an FSAL cannot read, or anything else the row
 * missed): the row is withdrawn until the export is next updated, with a
 * log line, so that no client bypasses with more than RPC gives it. Called
 * for every handle that goes to a client (localio_fsal_publish_wire); a few
 * compares. */
void localio_export_check_request(struct localio_export *exp);

/* The layout of Ganesha's wire handles, taken from its headers (nfs_fh.h):
 * the descriptor the map publishes for clients (publish.c). */
struct localio_fh_format localio_ganesha_fh_format(void);

/* Publishing to the shared map (publish.c): Ganesha's side, which takes
 * LOCALIO handles (the ops' results, wrapped), describes them and calls
 * the LOCALIO server's localio_publish_* (localio_server.h, bytes only);
 * no-ops while the LOCALIO server is not running or the export is not in
 * the map. */
void localio_fsal_publish_root(struct localio_export *exp, struct fsal_obj_handle *obj);
void localio_fsal_publish_child(struct localio_export *exp, struct fsal_obj_handle *dir,
		       const char *name, struct fsal_obj_handle *child);
/* READDIR listed obj as `name` in dir: remembered in obj, published by
 * localio_fsal_publish_wire if obj's handle goes to a client. */
void localio_fsal_publish_listed(struct localio_export *exp, struct fsal_obj_handle *dir,
			const char *name, struct fsal_obj_handle *obj);
/* The object's handle goes to a client (handle_to_wire): nothing to do
 * while the map still holds what it was told of obj; one publish under
 * its listed name when READDIR made it. */
void localio_fsal_publish_wire(struct localio_export *exp, struct fsal_obj_handle *obj,
		      const struct gsh_buffdesc *fh_desc);
/* An object known only by its handle: resolved from the kernel if the
 * map does not have it. */
void localio_fsal_publish_object(struct localio_export *exp,
			struct fsal_obj_handle *obj);
void localio_fsal_publish_removed(struct localio_export *exp,
			 struct fsal_obj_handle *obj);
void localio_fsal_publish_renamed(struct localio_export *exp,
			 struct fsal_obj_handle *obj,
			 struct fsal_obj_handle *newdir,
			 const char *new_name);
/* A call that changes who may open obj (its mode, owner, group, ACL or
 * an extended attribute) was made: when obj is a regular file, clients
 * re-open their local files before their next I/O (localio_server.h,
 * localio_access_changed). Other objects are nothing to an open file. */
void localio_fsal_publish_access_changed(struct fsal_obj_handle *obj);

struct localio_handle {
	struct fsal_obj_handle obj_handle;
	struct fsal_obj_handle *sub_handle;	/* owned: released with us */
	/* The sub-FSAL's handle_to_wire(FSAL_DIGEST_NFSV4), taken once when
	 * the handle is made (a handle's wire form never changes); 0 = not
	 * taken. It is the map's key and, where the digests agree, the reply. */
	uint8_t opaque[LOCALIO_MAX_OPAQUE];
	size_t opaque_len;
	/* localio_map_stamp() when the map last confirmed it holds this
	 * object (0: not known); read and written with __atomic builtins. */
	uint64_t map_stamp;
	/* A handle READDIR made: where it was listed, published only when
	 * the handle goes to a client (most are duplicates MDCACHE drops at
	 * once). Taken by one thread with __atomic_exchange_n; freed with the
	 * handle. NULL: none. */
	struct localio_listed_as *listed_as;
};

struct localio_listed_as {
	uint8_t parent[LOCALIO_MAX_OPAQUE];	/* the directory's opaque */
	size_t parent_len;
	char name[];				/* NUL-terminated */
};

/* Per-export FSAL { } block, as parsed by localio_export_param_block. */
struct localio_export_args {
	char *client_root;
	struct subfsal_args subfsal;	/* the nested FSAL { Name = ...; } */
};

/* Ganesha config blocks, exposed so tests parse with the real tables. */
extern struct config_block localio_module_param_block;
extern struct config_block localio_export_param_block;

/* Frees the strings load_config_* put into args. */
void localio_export_args_release(struct localio_export_args *args);

/* Parses the module block (LOCALIO { }) of a parsed config into cfg,
 * replacing what cfg held. Returns true if usable; errors are recorded in
 * err_type and logged naming the parameter. */
bool localio_module_config_load(config_file_t config,
				struct localio_module_config *cfg,
				struct config_error_type *err_type);

/* Frees the strings held by cfg. */
void localio_module_config_release(struct localio_module_config *cfg);

/* Records a configuration error: logs it and adds it to err_type's
 * diagnostics (the ones Ganesha prints for the config file). */
void localio_config_error(struct config_error_type *err_type,
			  const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Module methods (export.c) */
fsal_status_t localio_create_export(struct fsal_module *fsal_hdl,
				    void *parse_node,
				    struct config_error_type *err_type,
				    const struct fsal_up_vector *up_ops);
fsal_status_t localio_update_export(struct fsal_module *fsal_hdl,
				    void *parse_node,
				    struct config_error_type *err_type,
				    struct fsal_export *original,
				    struct fsal_module *updated_super);

/* Ops tables, each filled by one function, as FSAL_NULL does: the export
 * ops by localio_export_ops_init (export.c), the object ops by
 * localio_handle_ops_init (handle.c); each adds the ops of its Ganesha
 * version (localio_version_*_ops_init). */
void localio_export_ops_init(struct export_ops *ops);
void localio_handle_ops_init(struct fsal_obj_ops *ops);

/* Object ops defined outside handle.c, for localio_handle_ops_init. */
/* open, I/O, locks, setattr, close (file.c) */
fsal_status_t
localio_open2(struct fsal_obj_handle *obj_hdl, struct state_t *state,
	      fsal_openflags_t openflags, enum fsal_create_mode createmode,
	      const char *name, struct fsal_attrlist *attrs_in,
	      fsal_verifier_t verifier, struct fsal_obj_handle **new_obj,
	      struct fsal_attrlist *attrs_out,
	      bool *caller_perm_check LOCALIO_DIR_ATTRS_OUT(parent));
bool localio_check_verifier(struct fsal_obj_handle *obj_hdl,
			    fsal_verifier_t verifier);
fsal_openflags_t localio_status2(struct fsal_obj_handle *obj_hdl,
				 struct state_t *state);
fsal_status_t localio_reopen2(struct fsal_obj_handle *obj_hdl,
			      struct state_t *state,
			      fsal_openflags_t openflags);
void localio_read2(struct fsal_obj_handle *obj_hdl, bool bypass,
		   fsal_async_cb done_cb, struct fsal_io_arg *read_arg,
		   void *caller_arg);
void localio_write2(struct fsal_obj_handle *obj_hdl, bool bypass,
		    fsal_async_cb done_cb, struct fsal_io_arg *write_arg,
		    void *caller_arg);
fsal_status_t localio_seek2(struct fsal_obj_handle *obj_hdl,
			    struct state_t *state, struct io_info *info);
fsal_status_t localio_io_advise2(struct fsal_obj_handle *obj_hdl,
				 struct state_t *state, struct io_hints *hints);
fsal_status_t localio_commit2(struct fsal_obj_handle *obj_hdl, off_t offset,
			      size_t len);
fsal_status_t localio_lock_op2(struct fsal_obj_handle *obj_hdl,
			       struct state_t *state, void *owner,
			       fsal_lock_op_t lock_op,
			       fsal_lock_param_t *request_lock,
			       fsal_lock_param_t *conflicting_lock);
fsal_status_t localio_lease_op2(struct fsal_obj_handle *obj_hdl,
				struct state_t *state, void *owner,
				fsal_deleg_t deleg);
fsal_status_t localio_setattr2(struct fsal_obj_handle *obj_hdl, bool bypass,
			       struct state_t *state,
			       struct fsal_attrlist *attrib_set);
fsal_status_t localio_close2(struct fsal_obj_handle *obj_hdl,
			     struct state_t *state);
fsal_status_t localio_close(struct fsal_obj_handle *obj_hdl);
fsal_status_t localio_fallocate(struct fsal_obj_handle *obj_hdl,
				struct state_t *state, uint64_t offset,
				uint64_t length, bool allocate);
fsal_status_t localio_io_advise(struct fsal_obj_handle *obj_hdl,
				struct io_hints *hints);
/* extended attributes (xattrs.c) */
fsal_status_t localio_getxattrs(struct fsal_obj_handle *obj_hdl,
				xattrkey4 *xa_name, xattrvalue4 *xa_value);
fsal_status_t localio_setxattrs(struct fsal_obj_handle *obj_hdl,
				setxattr_option4 option, xattrkey4 *xa_name,
				xattrvalue4 *xa_value);
fsal_status_t localio_removexattrs(struct fsal_obj_handle *obj_hdl,
				   xattrkey4 *xa_name);
fsal_status_t localio_listxattrs(struct fsal_obj_handle *obj_hdl,
				 count4 la_maxcount, nfs_cookie4 *la_cookie,
				 bool_t *lr_eof, xattrlist4 *lr_names);
fsal_status_t localio_list_ext_attrs(struct fsal_obj_handle *obj_hdl,
				     unsigned int cookie,
				     struct fsal_xattrent *xattrs_tab,
				     unsigned int xattrs_tabsize,
				     unsigned int *nb_returned,
				     int *end_of_list);
fsal_status_t localio_getextattr_id_by_name(struct fsal_obj_handle *obj_hdl,
					    const char *xattr_name,
					    unsigned int *xattr_id);
fsal_status_t localio_getextattr_value_by_name(struct fsal_obj_handle *obj_hdl,
					       const char *xattr_name,
					       void *buffer_addr,
					       size_t buffer_size,
					       size_t *output_size);
fsal_status_t localio_getextattr_value_by_id(struct fsal_obj_handle *obj_hdl,
					     unsigned int xattr_id,
					     void *buffer_addr,
					     size_t buffer_size,
					     size_t *output_size);
fsal_status_t localio_setextattr_value(struct fsal_obj_handle *obj_hdl,
				       const char *xattr_name,
				       void *buffer_addr, size_t buffer_size,
				       int create);
fsal_status_t localio_setextattr_value_by_id(struct fsal_obj_handle *obj_hdl,
					     unsigned int xattr_id,
					     void *buffer_addr,
					     size_t buffer_size);
fsal_status_t localio_remove_extattr_by_id(struct fsal_obj_handle *obj_hdl,
					   unsigned int xattr_id);
fsal_status_t localio_remove_extattr_by_name(struct fsal_obj_handle *obj_hdl,
					     const char *xattr_name);
/* pNFS layouts (layout.c) */
nfsstat4 localio_layoutget(struct fsal_obj_handle *obj_hdl, XDR *loc_body,
			   const struct fsal_layoutget_arg *arg,
			   struct fsal_layoutget_res *res);
nfsstat4 localio_layoutreturn(struct fsal_obj_handle *obj_hdl, XDR *lrf_body,
			      const struct fsal_layoutreturn_arg *arg);
nfsstat4 localio_layoutcommit(struct fsal_obj_handle *obj_hdl, XDR *lou_body,
			      const struct fsal_layoutcommit_arg *arg,
			      struct fsal_layoutcommit_res *res);

/* The ops of one Ganesha version only (ops_ganesha<major>.c). */
void localio_version_module_ops_init(struct fsal_ops *ops);
void localio_version_export_ops_init(struct export_ops *ops);
void localio_version_obj_ops_init(struct fsal_obj_ops *ops);
#if GANESHA_VERSION_MAJOR >= 9
/* 9.14's additions (ops_ganesha9.c), called by the 6.5-and-later ones. */
void localio_v9_module_ops_init(struct fsal_ops *ops);
void localio_v9_export_ops_init(struct export_ops *ops);
#endif

/* Wraps sub_handle (ownership passes to the new handle) in a LOCALIO
 * handle of exp. */
struct fsal_obj_handle *localio_wrap_handle(struct localio_export *exp,
					    struct fsal_obj_handle *sub_handle);

/* Completes an op that may have produced a sub-FSAL handle: on success with
 * a handle, *out gets it wrapped; otherwise *out is NULL. Returns status
 * unchanged. */
fsal_status_t localio_wrap_result(struct localio_export *exp,
				  fsal_status_t status,
				  struct fsal_obj_handle *sub_handle,
				  struct fsal_obj_handle **out);

/* Completes an op that found or made `name` in dir (a LOCALIO handle) as
 * localio_wrap_result does, and publishes the result as that child. Runs
 * with op_ctx on the LOCALIO export. */
fsal_status_t localio_wrap_child(fsal_status_t status,
				 struct fsal_obj_handle *dir, const char *name,
				 struct fsal_obj_handle *sub_handle,
				 struct fsal_obj_handle **out);

static inline struct localio_export *localio_export_of(struct fsal_export *exp)
{
	return container_of(exp, struct localio_export, export);
}

/* The LOCALIO export the current operation runs on. */
static inline struct localio_export *localio_current_export(void)
{
	return localio_export_of(op_ctx->fsal_export);
}

/* Takes the sub handle's wire form into hdl (publish.c). */
void localio_take_opaque(struct localio_export *exp, struct localio_handle *hdl);

static inline struct localio_handle *
localio_handle_of(const struct fsal_obj_handle *obj)
{
	return container_of(obj, struct localio_handle, obj_handle);
}

/* The sub-FSAL handle under a LOCALIO handle (NULL stays NULL). */
static inline struct fsal_obj_handle *localio_sub(
					const struct fsal_obj_handle *obj)
{
	return obj == NULL ? NULL : localio_handle_of(obj)->sub_handle;
}

/* Runs `call` with op_ctx->fsal_export switched to the sub-export of `exp`
 * (a struct localio_export *) and restores the caller's value after. */
#define LOCALIO_SUBCALL(exp, call)					\
	do {								\
		struct fsal_export *const localio_saved_export_ =	\
			op_ctx->fsal_export;				\
		op_ctx->fsal_export = (exp)->export.sub_export;		\
		call;							\
		op_ctx->fsal_export = localio_saved_export_;		\
	} while (0)

/* The body of an op that only passes down: calls the sub-FSAL's `op` on
 * the sub handle of obj_hdl (a LOCALIO handle; the arguments after it
 * follow), with op_ctx switched as LOCALIO_SUBCALL does, and yields what it
 * returns. Not for ops that return void. */
#define LOCALIO_SUB_OBJ_CALL(obj_hdl, op, ...)                            \
	({                                                                \
		struct localio_export *const localio_exp_ =               \
			localio_current_export();                         \
		struct fsal_obj_handle *const localio_sub_ =              \
			localio_sub(obj_hdl);                             \
		__typeof__(localio_sub_->obj_ops->op(                     \
			localio_sub_, ##__VA_ARGS__)) localio_ret_;       \
                                                                          \
		LOCALIO_SUBCALL(localio_exp_,                             \
				localio_ret_ = localio_sub_->obj_ops->op( \
					localio_sub_, ##__VA_ARGS__));    \
		localio_ret_;                                             \
	})

/* The same for an op that returns void. */
#define LOCALIO_SUB_OBJ_VOID(obj_hdl, op, ...)                             \
	do {                                                               \
		struct localio_export *const localio_exp_ =                \
			localio_current_export();                          \
		struct fsal_obj_handle *const localio_sub_ =               \
			localio_sub(obj_hdl);                              \
                                                                           \
		LOCALIO_SUBCALL(localio_exp_,                              \
				localio_sub_->obj_ops->op(localio_sub_,    \
							  ##__VA_ARGS__)); \
	} while (0)

/* The same two for an export op, on the sub-export of exp_hdl (a LOCALIO
 * export). */
#define LOCALIO_SUB_EXPORT_CALL(exp_hdl, op, ...)                        \
	({                                                               \
		struct localio_export *const localio_exp_ =              \
			localio_export_of(exp_hdl);                      \
		struct fsal_export *const localio_sub_ =                 \
			localio_exp_->export.sub_export;                 \
		__typeof__(localio_sub_->exp_ops.op(                     \
			localio_sub_, ##__VA_ARGS__)) localio_ret_;      \
                                                                         \
		LOCALIO_SUBCALL(localio_exp_,                            \
				localio_ret_ = localio_sub_->exp_ops.op( \
					localio_sub_, ##__VA_ARGS__));   \
		localio_ret_;                                            \
	})

#define LOCALIO_SUB_EXPORT_VOID(exp_hdl, op, ...)                         \
	do {                                                              \
		struct localio_export *const localio_exp_ =               \
			localio_export_of(exp_hdl);                       \
		struct fsal_export *const localio_sub_ =                  \
			localio_exp_->export.sub_export;                  \
                                                                          \
		LOCALIO_SUBCALL(localio_exp_,                             \
				localio_sub_->exp_ops.op(localio_sub_,    \
							 ##__VA_ARGS__)); \
	} while (0)

#endif /* LOCALIO_METHODS_H */
