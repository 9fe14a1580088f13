/* FSAL_LOCALIO per-export configuration and export creation.
 *
 * EXPORT { FSAL { Name = LOCALIO; Client_Root = /mnt/data;
 *                 FSAL { Name = VFS; } } }
 * The nested FSAL block names the sub-FSAL; LOCALIO lets it create its
 * export from that block and stacks on top of it.
 */
#include "localio_methods.h"
#include "localio_server.h"
#include "export_mgr.h"
#include "nfs_exports.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static int export_config_commit(void *node, void *link_mem, void *self_struct,
				struct config_error_type *err_type)
{
	struct localio_export_args *args = self_struct;
	const char *why = NULL;
	int errors = 0;

	(void)node;
	(void)link_mem;
	if (args->client_root != NULL &&
	    !localio_client_root_valid(args->client_root, &why)) {
		localio_config_error(err_type, "Client_Root \"%s\" %s",
				     args->client_root, why);
		errors++;
	}
	if (args->subfsal.name == NULL) {
		localio_config_error(err_type,
			"FSAL { Name = LOCALIO; } needs a nested FSAL { Name = <sub-FSAL>; } block");
		err_type->missing = true;
		errors++;
	}
	return errors;
}

static struct config_item sub_fsal_params[] = {
	CONF_ITEM_STR("Name", 1, 10, NULL, subfsal_args, name),
	CONFIG_EOL
};

static struct config_item export_params[] = {
	CONF_ITEM_NOOP("Name"),
	CONF_ITEM_PATH("Client_Root", 1, PATH_MAX - 1, NULL,
		       localio_export_args, client_root),
	CONF_RELAX_BLOCK("FSAL", sub_fsal_params, noop_conf_init,
			 subfsal_commit, localio_export_args, subfsal),
	CONFIG_EOL
};

struct config_block localio_export_param_block = {
	.dbus_interface_name = "org.ganesha.nfsd.config.fsal.localio-export%d",
	.blk_desc.name = "FSAL",
	.blk_desc.type = CONFIG_BLOCK,
	.blk_desc.u.blk.init = noop_conf_init,
	.blk_desc.u.blk.params = export_params,
	.blk_desc.u.blk.commit = export_config_commit
};

void localio_export_args_release(struct localio_export_args *args)
{
	gsh_free(args->client_root);
	gsh_free(args->subfsal.name);
	memset(args, 0, sizeof(*args));
}

/* subfsal_commit takes a reference on the sub-FSAL when it accepts the
 * nested block; an export keeps it for its lifetime, anything else drops
 * it here. */
static void drop_parsed_subfsal_ref(struct localio_export_args *args)
{
	struct fsal_module *sub_fsal;

	if (args->subfsal.fsal_node == NULL || args->subfsal.name == NULL)
		return;
	sub_fsal = lookup_fsal(args->subfsal.name);
	if (sub_fsal != NULL) {
		fsal_put(sub_fsal);	/* ours, from lookup_fsal */
		fsal_put(sub_fsal);	/* subfsal_commit's */
	}
}

static const char *export_path(void)
{
	return op_ctx->ctx_fullpath != NULL ? CTX_FULLPATH(op_ctx) : "?";
}

/* Wires a LOCALIO export over sub, already created by the sub-FSAL. */
static int stack_export(struct localio_export *exp, struct fsal_module *me,
			struct fsal_export *sub,
			const struct fsal_up_vector *up_ops)
{
	const char *sub_name;

	fsal_export_init(&exp->export);
	localio_export_ops_init(&exp->export.exp_ops);
	fsal_export_stack(sub, &exp->export);
	exp->export.up_ops = up_ops;
	exp->export.fsal = me;
	LOCALIO_SUBCALL(exp, sub_name = sub->exp_ops.get_name(sub));
	exp->name = gsh_concat(LOCALIO_FSAL_NAME "/", sub_name);
	return fsal_attach_export(me, &exp->export.exports);
}

fsal_status_t localio_create_export(struct fsal_module *fsal_hdl,
				    void *parse_node,
				    struct config_error_type *err_type,
				    const struct fsal_up_vector *up_ops)
{
	struct localio_export_args args = { 0 };
	struct fsal_module *sub_fsal;
	struct localio_export *exp;
	struct fsal_export *sub;
	fsal_status_t status;

	if (load_config_from_node(parse_node, &localio_export_param_block,
				  &args, true, err_type) != 0 ||
	    !cur_exp_config_error_is_harmless(err_type)) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %s: invalid FSAL block",
			export_path());
		drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	sub_fsal = lookup_fsal(args.subfsal.name);
	if (sub_fsal == NULL) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %s: sub-FSAL %s is not loaded",
			export_path(), args.subfsal.name);
		localio_export_args_release(&args);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}

	status = sub_fsal->m_ops.create_export(sub_fsal,
					       args.subfsal.fsal_node,
					       err_type, up_ops);
	fsal_put(sub_fsal);
	if (FSAL_IS_ERROR(status)) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %s: sub-FSAL %s could not create its export: %s",
			export_path(), args.subfsal.name,
			fsal_err_txt(status));
		drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		return status;
	}
	sub = op_ctx->fsal_export;	/* where create_export leaves it */

	exp = gsh_calloc(1, sizeof(*exp));
	if (stack_export(exp, fsal_hdl, sub, up_ops) != 0) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %s: could not attach to FSAL %s",
			export_path(), fsal_hdl->name);
		LOCALIO_SUBCALL(exp, sub->exp_ops.release(sub));
		drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		gsh_free(exp->name);
		gsh_free(exp);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	exp->client_root = args.client_root;	/* ownership moves */
	args.client_root = NULL;

	op_ctx->fsal_export = &exp->export;
	localio_export_publish_row(exp, args.subfsal.name);
	LogEvent(COMPONENT_FSAL,
		 "LOCALIO: export %u (%s) stacked over %s%s%s",
		 (unsigned int)exp->export.export_id, export_path(),
		 args.subfsal.name,
		 exp->client_root ? ", Client_Root " : "",
		 exp->client_root ? exp->client_root : "");
	localio_export_args_release(&args);
	return status;
}

fsal_status_t localio_update_export(struct fsal_module *fsal_hdl,
				    void *parse_node,
				    struct config_error_type *err_type,
				    struct fsal_export *original,
				    struct fsal_module *updated_super)
{
	struct localio_export *exp = localio_export_of(original);
	struct localio_export_args args = { 0 };
	struct fsal_module *sub_fsal;
	fsal_status_t status;

	/* Ganesha's default checks that the stacking above us is unchanged */
	status = update_export(fsal_hdl, parse_node, err_type, original,
			       updated_super);
	if (FSAL_IS_ERROR(status))
		return status;

	if (load_config_from_node(parse_node, &localio_export_param_block,
				  &args, true, err_type) != 0 ||
	    !cur_exp_config_error_is_harmless(err_type)) {
		drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	if ((args.client_root == NULL) != (exp->client_root == NULL) ||
	    (args.client_root != NULL &&
	     strcmp(args.client_root, exp->client_root) != 0)) {
		/* Readers use client_root without a lock: it stays as it
		 * was created, like Path. */
		LogEvent(COMPONENT_FSAL,
			 "LOCALIO: export %u: a Client_Root change takes effect when the export is re-created",
			 (unsigned int)original->export_id);
	}

	sub_fsal = lookup_fsal(args.subfsal.name);
	if (sub_fsal == NULL) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %u: sub-FSAL %s is not loaded",
			(unsigned int)original->export_id, args.subfsal.name);
		localio_export_args_release(&args);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	status = sub_fsal->m_ops.update_export(sub_fsal,
					       args.subfsal.fsal_node,
					       err_type, original->sub_export,
					       fsal_hdl);
	fsal_put(sub_fsal);
	if (FSAL_IS_ERROR(status))
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %u: sub-FSAL %s refused the update: %s",
			(unsigned int)original->export_id, args.subfsal.name,
			fsal_err_txt(status));
	drop_parsed_subfsal_ref(&args);
	localio_export_args_release(&args);
	return status;
}

/* The export's access as the RPC path applies it, so that the bypass never
 * grants more: options the export leaves unset are taken at Ganesha's
 * restrictive defaults (read-only, root_squash). CLIENT blocks are not
 * looked at: a client they restrict further must not be given the map. */
static void export_access(const struct export_perms *perms,
			  struct localio_export_desc *desc)
{
	uint32_t squash = perms->options & EXPORT_OPTION_SQUASH_TYPES;

	desc->read_only = !(perms->set & EXPORT_OPTION_WRITE_ACCESS) ||
			  !(perms->options & EXPORT_OPTION_WRITE_ACCESS);
	if (!(perms->set & EXPORT_OPTION_SQUASH_TYPES))
		desc->squash = LOCALIO_SQUASH_ROOT;
	else if (squash & EXPORT_OPTION_ALL_ANONYMOUS)
		desc->squash = LOCALIO_SQUASH_ALL;
	else if (squash & EXPORT_OPTION_ROOT_SQUASH)
		desc->squash = LOCALIO_SQUASH_ROOT;
	else if (squash & EXPORT_OPTION_ROOT_ID_SQUASH)
		desc->squash = LOCALIO_SQUASH_ROOT_ID;
	else
		desc->squash = LOCALIO_SQUASH_NONE;
	desc->anon_uid = (perms->set & EXPORT_OPTION_ANON_UID_SET) ?
			 (uint32_t)perms->anonymous_uid : 65534;
	desc->anon_gid = (perms->set & EXPORT_OPTION_ANON_GID_SET) ?
			 (uint32_t)perms->anonymous_gid : 65534;
}

void localio_export_publish_row(struct localio_export *exp,
				const char *sub_fsal_name)
{
	struct gsh_export *gexp = op_ctx->ctx_export;
	struct localio_export_desc desc = { 0 };
	int rc;

	exp->published = false;
	if (gexp == NULL)
		return;
	/* Close-to-open for other clients: a bypassing client writes behind
	 * Ganesha's back, so attributes must not be served from cache. */
	if (!(gexp->export_perms.set & EXPORT_OPTION_EXPIRE_SET)) {
		gexp->export_perms.expire_time_attr = 0;
		gexp->export_perms.set |= EXPORT_OPTION_EXPIRE_SET;
	}
	if (!localio_server_running())
		return;
	desc.export_id = gexp->export_id;
	desc.server_root = CTX_FULLPATH(op_ctx);
	desc.client_root = exp->client_root;
	export_access(&gexp->export_perms, &desc);
	desc.resolver = strcmp(sub_fsal_name, "VFS") == 0 ?
			LOCALIO_RESOLVER_VFS : LOCALIO_RESOLVER_NONE;
	rc = localio_server_add_export(&desc);
	if (rc != 0) {
		LogWarn(COMPONENT_FSAL,
			"LOCALIO: export %u (%s) not in the map (%s): served without the bypass",
			(unsigned int)desc.export_id, desc.server_root,
			strerror(-rc));
		return;
	}
	exp->published = true;
	LogInfo(COMPONENT_FSAL,
		"LOCALIO: export %u in the map: %s, squash %d, anon %u:%u",
		(unsigned int)desc.export_id,
		desc.read_only ? "read-only" : "read-write", (int)desc.squash,
		desc.anon_uid, desc.anon_gid);
}
