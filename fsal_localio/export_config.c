/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO per-export configuration, export creation and update (the
 * row's withdrawal and its republishing job). The row's access rules are in
 * export_access.c, the WROTE up-call in export_wrote.c.
 *
 * EXPORT { FSAL { Name = LOCALIO; Client_Root = /mnt/data;
 *                 FSAL { Name = VFS; } } }
 * The nested FSAL block names the sub-FSAL; LOCALIO lets it create its
 * export from that block and stacks on top of it.
 */
#include "localio_methods.h"
#include "localio/defaults.h"
#include "localio_server.h"
#include "export_mgr.h"
#include "nfs_exports.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static int localio_export_config_commit(void *node, void *link_mem,
					void *self_struct,
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
	.blk_desc.u.blk.commit = localio_export_config_commit
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
static void localio_drop_parsed_subfsal_ref(struct localio_export_args *args)
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

static const char *localio_export_path(void)
{
	return op_ctx->ctx_fullpath != NULL ? CTX_FULLPATH(op_ctx) : "?";
}

/* Wires a LOCALIO export over sub, already created by the sub-FSAL. */
static int localio_stack_export(struct localio_export *exp,
				struct fsal_module *me, struct fsal_export *sub,
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
			localio_export_path());
		localio_drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	sub_fsal = lookup_fsal(args.subfsal.name);
	if (sub_fsal == NULL) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %s: sub-FSAL %s is not loaded",
			localio_export_path(), args.subfsal.name);
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
			localio_export_path(), args.subfsal.name,
			fsal_err_txt(status));
		localio_drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		return status;
	}
	sub = op_ctx->fsal_export;	/* where create_export leaves it */

	exp = gsh_calloc(1, sizeof(*exp));
	if (localio_stack_export(exp, fsal_hdl, sub, up_ops) != 0) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %s: could not attach to FSAL %s",
			localio_export_path(), fsal_hdl->name);
		LOCALIO_SUBCALL(exp, sub->exp_ops.release(sub));
		localio_drop_parsed_subfsal_ref(&args);
		localio_export_args_release(&args);
		gsh_free(exp->name);
		gsh_free(exp);
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	exp->client_root = args.client_root;	/* ownership moves */
	args.client_root = NULL;

	exp->kernel_handles = strcmp(args.subfsal.name, "VFS") == 0;
	op_ctx->fsal_export = &exp->export;
	localio_export_publish_row(exp, 0, NULL);
	LogEvent(COMPONENT_FSAL, "LOCALIO: export %u (%s) stacked over %s%s%s",
		 (unsigned int)exp->export.export_id, localio_export_path(),
		 args.subfsal.name, exp->client_root ? ", Client_Root " : "",
		 exp->client_root ? exp->client_root : "");
	localio_export_args_release(&args);
	return status;
}

/* An export update (SIGHUP, DBus) calls update_export while it holds
 * Ganesha's export admin lock, and copies the new options (Access_Type,
 * Squash, anonymous ids, CLIENT blocks) into the export only after every
 * FSAL agreed, just before it lets go of the lock. So the row is withdrawn
 * now (clients go through RPC from their next I/O) and put back with the
 * new options by a job on the LOCALIO heartbeat thread once the update is
 * over. export_admin_counter counts each take and release of that lock
 * (odd while it is held): the job waits until it has moved on and is even,
 * and reads the options while it stays so. */
struct republish_job {
	uint16_t export_id;
	uint64_t generation;	/* the suspension this job ends */
	uint64_t admin_seen;	/* export_admin_counter during the update */
};

/* One try: 0 done (published, withdrawn for good, or the export is gone),
 * -EAGAIN when an export update came in between. */
static int localio_republish_once(const struct republish_job *job,
				  uint64_t count)
{
	struct gsh_export *gexp = get_gsh_export(job->export_id);
	struct localio_export *exp;
	struct req_op_context ctx;
	int rc;

	if (gexp == NULL)
		return 0;	/* removed: its release dropped the entries */
	exp = localio_export_in(gexp->fsal_export);
	if (exp == NULL) {
		put_gsh_export(gexp);
		return 0;
	}
	init_op_context_simple(&ctx, gexp, gexp->fsal_export); /* takes our ref */
	rc = localio_export_publish_row(exp, job->generation, &count);
	release_op_context();
	return rc == -EAGAIN ? -EAGAIN : 0;
}

/* One beat of the heartbeat thread (localio_server_defer): -EAGAIN while
 * the update is not over, else the try's result. No signal says when
 * Ganesha lets go of the admin lock (export_admin_mutex is not exported),
 * so the job looks at export_admin_counter once a beat: the row is back at
 * most LOCALIO_HEARTBEAT_PERIOD_MS after the update ended, and no thread of
 * Ganesha's waits meanwhile. */
static int localio_republish(void *arg)
{
	const struct republish_job *job = arg;
	const uint64_t count =
		__atomic_load_n(&export_admin_counter, __ATOMIC_ACQUIRE);

	if (count == job->admin_seen || count % 2 != 0)
		return -EAGAIN;
	return localio_republish_once(job, count);
}

static void localio_republish_done(void *arg)
{
	gsh_free(arg);
}

static void localio_schedule_republish(struct localio_export *exp)
{
	struct republish_job *job = gsh_calloc(1, sizeof(*job));
	int rc;

	job->export_id = exp->export.export_id;
	job->admin_seen = __atomic_load_n(&export_admin_counter, __ATOMIC_ACQUIRE);
	/* Requests meanwhile may carry the new options or the old: neither is
	 * compared with a row that is being replaced. */
	__atomic_store_n(&exp->row_live, false, __ATOMIC_RELEASE);
	job->generation = localio_server_suspend_export(job->export_id);
	rc = localio_server_defer(localio_republish, localio_republish_done,
				  job);
	if (rc != 0) {
		/* -ENOTCONN: LOCALIO is not running, there is no map to update */
		if (rc != -ENOTCONN)
			LogWarn(COMPONENT_FSAL,
				"LOCALIO: export %u: cannot schedule its map update (%s); served without the bypass until the next update",
				(unsigned int)job->export_id, strerror(-rc));
		gsh_free(job);
	}
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
		localio_drop_parsed_subfsal_ref(&args);
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
	localio_schedule_republish(exp);
	if (FSAL_IS_ERROR(status))
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: export %u: sub-FSAL %s refused the update: %s",
			(unsigned int)original->export_id, args.subfsal.name,
			fsal_err_txt(status));
	localio_drop_parsed_subfsal_ref(&args);
	localio_export_args_release(&args);
	return status;
}
