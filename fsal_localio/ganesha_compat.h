/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The seam between the Ganesha versions FSAL_LOCALIO builds for.
 *
 *   Ganesha 4.3  (Debian 12):        FSAL API 11.0
 *   Ganesha 6.5  (Debian 13):        FSAL API 13.0
 *   Ganesha 9.14 (Debian 14, forky): FSAL API 14.0
 *
 * Every difference the FSAL (and its tests) meets is here, chosen by
 * FSAL_MAJOR_VERSION and, where the FSAL API number does not tell two
 * releases apart, GANESHA_VERSION_MAJOR (15.2 also says FSAL API 14.0 with
 * another layout: it is refused, see main.c); the rest of the code is
 * written once against these names. Ops that 4.3 alone has are in
 * ops_ganesha4.c, ops that 6.5 and later have in ops_ganesha6.c, ops new in
 * 9.14 in ops_ganesha9.c; CMake picks them. See docs/DESIGN.md, "The
 * Ganesha seam".
 */
#ifndef LOCALIO_GANESHA_COMPAT_H
#define LOCALIO_GANESHA_COMPAT_H

#include "config.h"

#include "fsal.h"
#include "fsal_api.h"
#include "FSAL/fsal_commonlib.h"
#include "nfs_init.h"

/* Namespace ops' directory attributes, in three forms:
 *   LOCALIO_DIR_ATTRS_OUT(d)   the parameters, after the op's last one
 *   LOCALIO_PASS_DIR_ATTRS(d)  passing them on, after the last argument
 *   LOCALIO_NO_DIR_ATTRS       no attributes wanted (a caller's arguments)
 */
#if FSAL_MAJOR_VERSION == 11

/* 4.3: namespace ops return no attributes of the directories they change. */
#define LOCALIO_DIR_ATTRS_OUT(dir)
#define LOCALIO_PASS_DIR_ATTRS(dir)
#define LOCALIO_NO_DIR_ATTRS

static inline void localio_obj_handle_init(struct fsal_obj_handle *obj,
					   struct fsal_export *exp,
					   object_file_type_t type)
{
	fsal_obj_handle_init(obj, exp, type);
}

static inline void localio_obj_handle_fini(struct fsal_obj_handle *obj)
{
	fsal_obj_handle_fini(obj);
}

static inline void localio_prereq_init(const char *program,
				       const char *host, const char *log_path)
{
	nfs_prereq_init(program, host, -1, log_path, false);
}

#define LOCALIO_CLIENT_PERMS(node)					\
	(&glist_entry(node, exportlist_client_entry_t, cle_list)->client_perms)
#define LOCALIO_EXPORT_RWLOCK(gexp) (&(gexp)->lock)

#elif FSAL_MAJOR_VERSION == 13 ||					\
	(FSAL_MAJOR_VERSION == 14 && GANESHA_VERSION_MAJOR == 9)

/* 6.5: mkdir, mknode, symlink, link, unlink and open2 return the parent's
 * attributes before and after (NFSv4 change_info, v3 wcc_data); rename
 * returns both directories'. They are the sub-FSAL's to fill: LOCALIO hands
 * the caller's pointers down unchanged. */
#define LOCALIO_DIR_ATTRS_OUT(dir)					\
	, struct fsal_attrlist *dir##_pre_attrs_out,			\
	struct fsal_attrlist *dir##_post_attrs_out
#define LOCALIO_PASS_DIR_ATTRS(dir) , dir##_pre_attrs_out, dir##_post_attrs_out
#define LOCALIO_NO_DIR_ATTRS , NULL, NULL

/* 6.5 can keep a handle off the FSAL's handle list; LOCALIO's handles are
 * on it, as FSAL_NULL's are. */
static inline void localio_obj_handle_init(struct fsal_obj_handle *obj,
					   struct fsal_export *exp,
					   object_file_type_t type)
{
	fsal_obj_handle_init(obj, exp, type, true);
}

static inline void localio_obj_handle_fini(struct fsal_obj_handle *obj)
{
	fsal_obj_handle_fini(obj, true);
}

static inline void localio_prereq_init(const char *program,
				       const char *host, const char *log_path)
{
	nfs_prereq_init(program, host, -1, log_path, false, 0);
}

/* An export's CLIENT blocks (a list of client entries) and the lock over
 * its options. */
#define LOCALIO_CLIENT_PERMS(node)					\
	(&glist_entry(node, struct exportlist_client_entry,		\
		      client_entry.cle_list)->client_perms)
#define LOCALIO_EXPORT_RWLOCK(gexp) (&(gexp)->exp_lock)

#else
#error "FSAL_LOCALIO builds for Ganesha 4.3 (FSAL API 11), 6.5 (FSAL API 13) and 9.14 (FSAL API 14) only"
#endif

/* readlink's result: a buffer descriptor up to 6.5, a utf8string in 9.14
 * (which otherwise differs from 6.5 only in ops: ops_ganesha9.c). */
#if FSAL_MAJOR_VERSION >= 14
typedef utf8string localio_link_content_t;
#else
typedef struct gsh_buffdesc localio_link_content_t;
#endif

/* Ganesha's symbols are taken from the server that loads the module, not
 * from a link to a versioned libganesha_nfsd.so.X.Y: the module then always
 * loads, and its constructor can refuse a server of another version with a
 * line in that server's log (main.c). Ganesha treats a module that fails to
 * dlopen as fatal and exits, which would take every other export down.
 * The imports are weak so that a symbol another version lacks cannot fail
 * the dlopen either; tests/harness/elf_imports.sh checks that
 * this list covers every Ganesha symbol the module uses
 * (ctest fsal_localio_module_imports). */
#pragma weak DisplayLogComponentLevel
#pragma weak _put_gsh_export
#pragma weak export_admin_counter
#pragma weak get_gsh_export
#pragma weak init_op_context
#pragma weak release_op_context
#pragma weak component_log_level
#pragma weak display_fsinfo
#pragma weak free_export_ops
#pragma weak fsal_attach_export
#pragma weak fsal_default_obj_ops_init
#pragma weak fsal_detach_export
#pragma weak fsal_export_init
#pragma weak fsal_export_stack
#pragma weak fsal_obj_handle_fini
#pragma weak fsal_obj_handle_init
#pragma weak load_config_from_node
#pragma weak load_config_from_parse
#pragma weak lookup_fsal
#pragma weak msg_fsal_err
#pragma weak nfs_param
#pragma weak noop_conf_init
#pragma weak op_ctx
#pragma weak register_fsal
#pragma weak subfsal_commit
#pragma weak unregister_fsal
#pragma weak update_export
#if GANESHA_VERSION_MAJOR >= 9
/* 9.14's log macros test per-request conditional logging first. */
#pragma weak conditional_component_log_level
#pragma weak conditional_logging_configured
#pragma weak is_op_context_conditional_flag_set
#endif

#endif /* LOCALIO_GANESHA_COMPAT_H */
