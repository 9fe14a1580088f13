/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO per-export configuration and export creation.
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
#include <unistd.h>

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

/* Our export in the stack under the gsh_export's (MDCACHE's on top). */
static struct localio_export *localio_export_in(struct fsal_export *top)
{
	for (struct fsal_export *e = top; e != NULL; e = e->sub_export)
		if (e->fsal == &LOCALIO.module)
			return localio_export_of(e);
	return NULL;
}

int localio_export_wrote(uint16_t export_id, const void *opaque,
			 size_t opaque_len)
{
	struct gsh_export *gexp;
	struct localio_export *exp;
	const struct fsal_up_vector *up;
	struct req_op_context ctx;
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct gsh_buffdesc key = { .addr = buf, .len = opaque_len };
	fsal_status_t st;

	if (opaque_len == 0 || opaque_len > sizeof(buf))
		return -EINVAL;
	gexp = get_gsh_export(export_id);
	if (gexp == NULL)
		return -ENOENT;
	exp = localio_export_in(gexp->fsal_export);
	if (exp == NULL) {
		put_gsh_export(gexp);
		return -ENOENT;
	}
	memcpy(buf, opaque, opaque_len);
	/* The key MDCACHE files the object under, as it derives it from a
	 * handle off the wire (mdcache_locate_host): wire_to_host down the
	 * stack, then our host_to_key. The context (and our export ref)
	 * stays for the up-call, which nests its own. */
	init_op_context_simple(&ctx, gexp, gexp->fsal_export); /* takes our ref */
	st = gexp->fsal_export->exp_ops.wire_to_host(gexp->fsal_export,
						     FSAL_DIGEST_NFSV4, &key, 0);
	if (!FSAL_IS_ERROR(st))
		st = exp->export.exp_ops.host_to_key(&exp->export, &key);
	if (FSAL_IS_ERROR(st)) {
		release_op_context();
		return -EINVAL;
	}
	up = exp->export.up_ops;
	st = up->invalidate(up, &key, FSAL_UP_INVALIDATE_ATTRS);
	release_op_context();
	return FSAL_IS_ERROR(st) ? -EIO : 0;
}

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

/* What one access rule grants: an export's options, or a CLIENT block's
 * with what it leaves unset taken from the export's (as Ganesha's
 * export_check_access does). Options neither sets are taken at Ganesha's
 * restrictive defaults (no access, root_squash, anonymous -2): the
 * EXPORT_DEFAULTS block is not visible to an FSAL. */
struct access_rule {
	bool read;
	bool write;
	bool manage_gids;
	enum localio_squash squash;
	uint32_t anon_uid;
	uint32_t anon_gid;
};

_Static_assert((uint32_t)ANON_UID == LOCALIO_DEFAULT_ANON_ID &&
		       (uint32_t)ANON_GID == LOCALIO_DEFAULT_ANON_ID,
	       "Ganesha's default anonymous ids are not LOCALIO_DEFAULT_ANON_ID");

static void localio_rule_of(const struct export_perms *p,
			    const struct export_perms *under,
			    struct access_rule *r)
{
	uint32_t set = p->set;
	uint32_t options = p->options & p->set;
	uint32_t squash;

	if (under != NULL) {
		options |= under->options & under->set & ~set;
		set |= under->set;
	}
	r->read = (set & EXPORT_OPTION_READ_ACCESS) &&
		  (options & EXPORT_OPTION_READ_ACCESS);
	r->write = (set & EXPORT_OPTION_WRITE_ACCESS) &&
		   (options & EXPORT_OPTION_WRITE_ACCESS);
	r->manage_gids = (options & EXPORT_OPTION_MANAGE_GIDS) != 0;
	squash = options & EXPORT_OPTION_SQUASH_TYPES;
	if (!(set & EXPORT_OPTION_SQUASH_TYPES))
		r->squash = LOCALIO_SQUASH_ROOT;
	else if (squash & EXPORT_OPTION_ALL_ANONYMOUS)
		r->squash = LOCALIO_SQUASH_ALL;
	else if (squash & EXPORT_OPTION_ROOT_SQUASH)
		r->squash = LOCALIO_SQUASH_ROOT;
	else if (squash & EXPORT_OPTION_ROOT_ID_SQUASH)
		r->squash = LOCALIO_SQUASH_ROOT_ID;
	else
		r->squash = LOCALIO_SQUASH_NONE;
	r->anon_uid = LOCALIO_DEFAULT_ANON_ID;
	r->anon_gid = LOCALIO_DEFAULT_ANON_ID;
	if (p->set & EXPORT_OPTION_ANON_UID_SET)
		r->anon_uid = (uint32_t)p->anonymous_uid;
	else if (under != NULL && (under->set & EXPORT_OPTION_ANON_UID_SET))
		r->anon_uid = (uint32_t)under->anonymous_uid;
	if (p->set & EXPORT_OPTION_ANON_GID_SET)
		r->anon_gid = (uint32_t)p->anonymous_gid;
	else if (under != NULL && (under->set & EXPORT_OPTION_ANON_GID_SET))
		r->anon_gid = (uint32_t)under->anonymous_gid;
}

static int localio_squash_strength(enum localio_squash s)
{
	switch (s) {
	case LOCALIO_SQUASH_NONE:
		return 0;
	case LOCALIO_SQUASH_ROOT_ID:
		return 1;
	case LOCALIO_SQUASH_ROOT:
		return 2;
	case LOCALIO_SQUASH_ALL:
		return 3;
	}
	return 3;
}

/* The export's access for the map: what every client gets at least, over
 * the export's own options and each CLIENT block (any may be the one a
 * bypassing client matches over RPC), so that the bypass never grants any
 * client more than RPC does: writes only if every rule writes, the
 * strongest squash. NULL when the bypass cannot match RPC: a rule without
 * read access (Access_Type None or MDONLY), squashing rules with
 * different anonymous ids, or a rule with Manage_Gids (the server takes a
 * caller's groups from its own database, which a client cannot see; the
 * bypass acts as the groups the credential carries). Caller holds the
 * export's lock. */
static const char *localio_export_access(const struct gsh_export *gexp,
					 struct localio_export_desc *desc)
{
	struct access_rule all, r;
	struct glist_head *node;
	bool squashing_ids_differ = false;

	localio_rule_of(&gexp->export_perms, NULL, &all);
	glist_for_each(node, &gexp->clients) {
		localio_rule_of(LOCALIO_CLIENT_PERMS(node), &gexp->export_perms,
				&r);
		all.read = all.read && r.read;
		all.write = all.write && r.write;
		all.manage_gids = all.manage_gids || r.manage_gids;
		if (r.squash != LOCALIO_SQUASH_NONE &&
		    all.squash != LOCALIO_SQUASH_NONE &&
		    (r.anon_uid != all.anon_uid || r.anon_gid != all.anon_gid))
			squashing_ids_differ = true;
		if (localio_squash_strength(r.squash) >
		    localio_squash_strength(all.squash)) {
			all.squash = r.squash;
			all.anon_uid = r.anon_uid;
			all.anon_gid = r.anon_gid;
		}
	}
	if (!all.read)
		return "its Access_Type (or a CLIENT block's) gives no read access, or is not set in the export";
	if (squashing_ids_differ)
		return "its CLIENT blocks squash to different anonymous ids";
	if (all.manage_gids)
		return "it (or a CLIENT block) sets Manage_Gids: the server takes the groups from its own database, which the bypass cannot see";
	desc->read_only = !all.write;
	desc->squash = all.squash;
	desc->anon_uid = all.anon_uid;
	desc->anon_gid = all.anon_gid;
	return NULL;
}

/* Why `r` (one request's rule) gets less than `row`, or NULL. */
static const char *localio_row_exceeds(const struct localio_row_access *row,
				       const struct access_rule *r)
{
	if (!r->read)
		return "gives it no read access";
	if (!row->read_only && !r->write)
		return "gives it no write access";
	if (r->manage_gids)
		return "sets Manage_Gids (the server takes the groups from its own database)";
	if (localio_squash_strength(r->squash) >
	    localio_squash_strength(row->squash))
		return "squashes it more";
	if (r->squash != LOCALIO_SQUASH_NONE &&
	    (r->anon_uid != row->anon_uid || r->anon_gid != row->anon_gid))
		return "squashes it to other anonymous ids";
	return NULL;
}

void localio_export_check_request(struct localio_export *exp)
{
	struct access_rule request;
	struct localio_row_access row;
	const char *why;

	if (op_ctx == NULL ||
	    !__atomic_load_n(&exp->row_live, __ATOMIC_ACQUIRE))
		return;
	/* Ganesha's own operations run with full access (root_op_export_*):
	 * only a client's request can be given less than the row. */
	localio_rule_of(&op_ctx->export_perms, NULL, &request);
	row = exp->row;
	why = localio_row_exceeds(&row, &request);
	if (why == NULL ||
	    !__atomic_exchange_n(&exp->row_live, false, __ATOMIC_ACQ_REL))
		return;
	localio_server_suspend_export(exp->export.export_id);
	LogWarn(COMPONENT_FSAL,
		"LOCALIO: export %u served without the bypass until it is next updated: a client's request %s than the map's row (%s, squash %d, anon %u:%u) allows; EXPORT_DEFAULTS, which the FSAL cannot read, may set it",
		(unsigned int)exp->export.export_id, why,
		row.read_only ? "read-only" : "read-write", (int)row.squash,
		row.anon_uid, row.anon_gid);
}

int localio_export_publish_row(struct localio_export *exp, uint64_t generation,
			       const uint64_t *admin_count)
{
	struct gsh_export *gexp = op_ctx->ctx_export;
	struct localio_export_desc desc = { 0 };
	const char *why_not;
	int rc;

	if (gexp == NULL)
		return -ENOENT;
	/* Close-to-open for other clients needs no attribute setting: the
	 * bypassing client says what it wrote (localio_export_wrote). */
	pthread_rwlock_rdlock(LOCALIO_EXPORT_RWLOCK(gexp));
	why_not = localio_export_access(gexp, &desc);
	pthread_rwlock_unlock(LOCALIO_EXPORT_RWLOCK(gexp));
	if (admin_count != NULL &&
	    *admin_count != __atomic_load_n(&export_admin_counter, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	if (!localio_server_running())
		return -ENOTCONN;
	if (why_not != NULL) {
		LogWarn(COMPONENT_FSAL,
			"LOCALIO: export %u (%s) served without the bypass: %s",
			(unsigned int)gexp->export_id, CTX_FULLPATH(op_ctx),
			why_not);
		return -EACCES;
	}
	desc.export_id = gexp->export_id;
	desc.server_root = CTX_FULLPATH(op_ctx);
	desc.client_root = exp->client_root;
	desc.resolver = exp->kernel_handles ? LOCALIO_RESOLVER_VFS :
					      LOCALIO_RESOLVER_NONE;
	desc.generation = generation;
	rc = localio_server_add_export(&desc);
	if (rc == -ESTALE)
		return 0;	/* a later update suspended it again: its job publishes */
	if (rc != 0) {
		LogWarn(COMPONENT_FSAL,
			"LOCALIO: export %u (%s) not in the map (%s): served without the bypass",
			(unsigned int)desc.export_id, desc.server_root,
			strerror(-rc));
		return rc;
	}
	exp->row.read_only = desc.read_only;
	exp->row.squash = desc.squash;
	exp->row.anon_uid = desc.anon_uid;
	exp->row.anon_gid = desc.anon_gid;
	__atomic_store_n(&exp->row_live, true, __ATOMIC_RELEASE);
	__atomic_store_n(&exp->published, true, __ATOMIC_RELEASE);
	LogInfo(COMPONENT_FSAL,
		"LOCALIO: export %u in the map: %s, squash %d, anon %u:%u",
		(unsigned int)desc.export_id,
		desc.read_only ? "read-only" : "read-write", (int)desc.squash,
		desc.anon_uid, desc.anon_gid);
	return 0;
}
