/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO ops that Ganesha 6.5 (FSAL API 13) and later have (built
 * for 6.5 and 9.14; 9.14's own are in ops_ganesha9.c, added here).
 *
 * update_config: 6.5 calls it instead of init_config for every FSAL block
 * after the first (each further export, each SIGHUP reload). The map and
 * the listener are made once, at start: a changed LOCALIO block is checked
 * and logged, and takes effect when the server restarts.
 *
 * get_fsal_obj_hdl, close_func, reopen_func: the global fd LRU's ops.
 * Ganesha calls them on the owner of an fd: fsal_fd->fsal_export and that
 * export's handles. The sub-FSAL owns every fd (it initialises them while
 * op_ctx names its export, see LOCALIO_SUBCALL), so Ganesha reaches the
 * sub-FSAL's ops directly and FSAL_NULL leaves these unset. LOCALIO passes
 * them down instead of leaving NULL slots: any caller that does reach the
 * LOCALIO layer gets the sub-FSAL, which owns the fd.
 */
#include "localio_methods.h"

#include <string.h>

static bool localio_same_string(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool localio_same_config(const struct localio_module_config *a,
				const struct localio_module_config *b)
{
	return localio_same_string(a->map_path, b->map_path) &&
	       localio_same_string(a->map_dir, b->map_dir) &&
	       a->map_mode == b->map_mode &&
	       localio_same_string(a->map_group, b->map_group) &&
	       a->max_entries == b->max_entries && a->port == b->port;
}

static fsal_status_t localio_update_config(struct fsal_module *fsal_hdl,
					   config_file_t config_struct,
					   struct config_error_type *err_type)
{
	struct localio_fsal_module *me =
		container_of(fsal_hdl, struct localio_fsal_module, module);
	struct localio_module_config next = { 0 };
	bool usable = localio_module_config_load(config_struct, &next,
						 err_type);

	if (!usable) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: invalid LOCALIO block in the new configuration: the map and the listener keep the values they started with");
	} else if (!localio_same_config(&me->config, &next)) {
		LogEvent(COMPONENT_FSAL,
			 "LOCALIO: the LOCALIO block changed; Map_Path, Map_Directory, Map_Mode, Map_Group, Max_Entries and Port take effect when ganesha.nfsd restarts");
	}
	localio_module_config_release(&next);
	return usable ? fsalstat(ERR_FSAL_NO_ERROR, 0) :
			fsalstat(ERR_FSAL_INVAL, EINVAL);
}

static void localio_get_fsal_obj_hdl(struct fsal_export *exp_hdl,
				     struct fsal_fd *fd,
				     struct fsal_obj_handle **handle)
{
	LOCALIO_SUB_EXPORT_VOID(exp_hdl, get_fsal_obj_hdl, fd, handle);
}

static fsal_status_t localio_close_func(struct fsal_obj_handle *obj_hdl,
					struct fsal_fd *fd)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, close_func, fd);
}

static fsal_status_t localio_reopen_func(struct fsal_obj_handle *obj_hdl,
					 fsal_openflags_t openflags,
					 struct fsal_fd *fd)
{
	return LOCALIO_SUB_OBJ_CALL(obj_hdl, reopen_func, openflags, fd);
}

void localio_version_module_ops_init(struct fsal_ops *ops)
{
	ops->update_config = localio_update_config;
#if GANESHA_VERSION_MAJOR >= 9
	localio_v9_module_ops_init(ops);
#endif
}

void localio_version_export_ops_init(struct export_ops *ops)
{
	ops->get_fsal_obj_hdl = localio_get_fsal_obj_hdl;
#if GANESHA_VERSION_MAJOR >= 9
	localio_v9_export_ops_init(ops);
#endif
}

void localio_version_obj_ops_init(struct fsal_obj_ops *ops)
{
	ops->close_func = localio_close_func;
	ops->reopen_func = localio_reopen_func;
}
