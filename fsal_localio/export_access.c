/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The export's row in the shared map: the access RPC gives every client of
 * the export at least (its options and CLIENT blocks), put into the map,
 * and withdrawn when a request shows a client gets less than the row says
 * (EXPORT_DEFAULTS, which an FSAL cannot read). */
#include "localio_methods.h"
#include "localio/defaults.h"
#include "localio_server.h"
#include "export_mgr.h"
#include "nfs_exports.h"

#include <errno.h>
#include <string.h>

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
