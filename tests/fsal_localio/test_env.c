/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Test environment: see test_env.h. */
#include "test_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export_mgr.h"
#include "nfs_exports.h"
#include "nfs_init.h"
#include "fake_sub_fsal.h"

const struct fsal_up_vector test_up_ops;

static struct req_op_context ctx;
static struct gsh_export export;

void test_env_init(void)
{
	static const char path[] = TEST_EXPORT_PATH;
	struct gsh_refstr *fullpath = gsh_refstr_alloc(sizeof(path));

	/* Ganesha's log must exist before anything logs; "STDERR" keeps
	 * LOCALIO's messages in the test output. */
	localio_prereq_init("fsal_localio_test", "localhost", "STDERR");
	memcpy(fullpath->gr_val, path, sizeof(path));
	export.export_id = TEST_EXPORT_ID;
	/* As Ganesha's alloc_export leaves them: no CLIENT blocks. */
	glist_init(&export.clients);
	pthread_rwlock_init(LOCALIO_EXPORT_RWLOCK(&export), NULL);
	ctx.ctx_export = &export;
	ctx.ctx_fullpath = fullpath;
	/* As Ganesha's init_op_context leaves an operation of its own: full
	 * access (a client's request has its own, export_check_access's). */
	ctx.export_perms.set = root_op_export_set;
	ctx.export_perms.options = root_op_export_options;
	op_ctx = &ctx;
	fake_sub_register();
}

struct gsh_export *test_env_export(void)
{
	return &export;
}

void test_env_set_export_path(const char *path)
{
	size_t len = strlen(path) + 1;
	struct gsh_refstr *fullpath = gsh_refstr_alloc(len);

	memcpy(fullpath->gr_val, path, len);
	gsh_refstr_put(ctx.ctx_fullpath);
	ctx.ctx_fullpath = fullpath;
}

/* The export options LOCALIO reads, parsed as Ganesha parses an EXPORT
 * block: the same item kinds, defaults and "set" bits. */
static struct config_item_list test_access_tokens[] = {
	CONFIG_LIST_TOK("NONE", 0),
	CONFIG_LIST_TOK("RW", EXPORT_OPTION_RW_ACCESS |
			      EXPORT_OPTION_MD_ACCESS),
	CONFIG_LIST_TOK("RO", EXPORT_OPTION_READ_ACCESS |
			      EXPORT_OPTION_MD_READ_ACCESS),
	CONFIG_LIST_TOK("MDONLY", EXPORT_OPTION_MD_ACCESS),
	CONFIG_LIST_TOK("MDONLY_RO", EXPORT_OPTION_MD_READ_ACCESS),
	CONFIG_LIST_EOL
};

static struct config_item_list test_squash_tokens[] = {
	CONFIG_LIST_TOK("root_squash", EXPORT_OPTION_ROOT_SQUASH),
	CONFIG_LIST_TOK("root_id_squash", EXPORT_OPTION_ROOT_ID_SQUASH),
	CONFIG_LIST_TOK("all_squash", EXPORT_OPTION_ALL_ANONYMOUS),
	CONFIG_LIST_TOK("no_root_squash", EXPORT_OPTION_ROOT),
	CONFIG_LIST_EOL
};

static struct config_item test_perm_items[] = {
	CONF_ITEM_ENUM_BITS_SET("Access_Type", EXPORT_OPTION_NO_ACCESS,
				EXPORT_OPTION_ACCESS_MASK, test_access_tokens,
				gsh_export, export_perms.options,
				export_perms.set),
	CONF_ITEM_LIST_BITS_SET("Squash", EXPORT_OPTION_ROOT_SQUASH,
				EXPORT_OPTION_SQUASH_TYPES, test_squash_tokens,
				gsh_export, export_perms.options,
				export_perms.set),
	CONF_ITEM_BOOLBIT_SET("Manage_Gids", false, EXPORT_OPTION_MANAGE_GIDS,
			      gsh_export, export_perms.options,
			      export_perms.set),
	CONF_ITEM_ANON_ID_SET("Anonymous_uid", ANON_UID, gsh_export,
			      export_perms.anonymous_uid,
			      EXPORT_OPTION_ANON_UID_SET, export_perms.set),
	CONF_ITEM_ANON_ID_SET("Anonymous_gid", ANON_GID, gsh_export,
			      export_perms.anonymous_gid,
			      EXPORT_OPTION_ANON_GID_SET, export_perms.set),
	CONF_ITEM_I32_SET("Attr_Expiration_Time", -1, INT32_MAX,
			  EXPORT_DEFAULT_CACHE_EXPIRY, gsh_export,
			  export_perms.expire_time_attr,
			  EXPORT_OPTION_EXPIRE_SET, export_perms.set),
	CONFIG_EOL
};

/* An EXPORT block; test_load_export_block gives it its items. */
static struct config_block test_export_block = {
	.blk_desc.name = "EXPORT",
	.blk_desc.type = CONFIG_BLOCK,
	.blk_desc.u.blk.init = noop_conf_init,
	.blk_desc.u.blk.commit = noop_conf_commit
};

/* Parses "EXPORT { <items> }" by the table params into self, as Ganesha
 * parses an EXPORT block; 1 if the parser found errors, else 0. */
static int test_load_export_block(struct config_item *params,
				  const char *items, void *self)
{
	struct config_error_type err;
	char text[2048];
	config_file_t root;
	int errors;

	snprintf(text, sizeof(text), "EXPORT {\n%s\n}\n", items);
	root = test_parse(text, &err);
	test_export_block.blk_desc.u.blk.params = params;
	errors = load_config_from_parse(root, &test_export_block, self, true,
					&err) < 0 || !config_error_is_harmless(&err);
	config_Free(root);
	test_err_text(&err);
	return errors;
}

int test_env_parse_export_perms(const char *items)
{
	memset(&export.export_perms, 0, sizeof(export.export_perms));
	return test_load_export_block(test_perm_items, items, &export);
}

#if FSAL_MAJOR_VERSION == 11
typedef exportlist_client_entry_t test_client_entry;
#define TEST_CLIENT_NODE(c) (&(c)->cle_list)
#define TEST_CLIENT_OF(node) glist_entry(node, test_client_entry, cle_list)
#else
typedef struct exportlist_client_entry test_client_entry;
#define TEST_CLIENT_NODE(c) (&(c)->client_entry.cle_list)
#define TEST_CLIENT_OF(node) \
	glist_entry(node, test_client_entry, client_entry.cle_list)
#endif

int test_env_add_client(const char *items)
{
	struct export_perms saved = export.export_perms;
	test_client_entry *c;
	int errors = test_env_parse_export_perms(items);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->client_perms = export.export_perms;
	export.export_perms = saved;
	glist_add_tail(&export.clients, TEST_CLIENT_NODE(c));
	return errors;
}

void test_env_clear_clients(void)
{
	struct glist_head *node, *next;

	glist_for_each_safe(node, next, &export.clients) {
		glist_del(node);
		free(TEST_CLIENT_OF(node));
	}
}

config_file_t test_parse(const char *text, struct config_error_type *err)
{
	char path[] = "/tmp/localio-fsal-test-XXXXXX";
	int fd = mkstemp(path);
	config_file_t root;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	init_error_type(err);
	root = config_ParseFile(path, err);
	unlink(path);
	return root;
}

const char *test_err_text(struct config_error_type *err)
{
	static char text[4096];

	text[0] = '\0';
	if (err->fp != NULL) {
		fclose(err->fp);
		err->fp = NULL;
		if (err->diag_buf != NULL)
			snprintf(text, sizeof(text), "%s", err->diag_buf);
		free(err->diag_buf);
		err->diag_buf = NULL;
	}
	return text;
}

/* The EXPORT block as far as the test needs it: the FSAL sub-block, whose
 * commit plays Ganesha's fsal_cfg_commit. */
struct test_fsal_args {
	char *name;
};

struct test_export_args {
	struct test_fsal_args fsal;
};

static fsal_status_t created;

static int test_fsal_commit(void *node, void *link_mem, void *self_struct,
			    struct config_error_type *err_type)
{
	struct test_fsal_args *args = self_struct;
	struct fsal_module *fsal = lookup_fsal(args->name);

	(void)link_mem;
	gsh_free(args->name);
	args->name = NULL;
	if (fsal == NULL)
		return 1;
	/* Like Ganesha, the export keeps this module reference. */
	created = fsal->m_ops.create_export(fsal, node, err_type,
					    &test_up_ops);
	if (FSAL_IS_ERROR(created)) {
		fsal_put(fsal);
		return 1;
	}
	return 0;
}

static struct config_item test_fsal_items[] = {
	CONF_ITEM_STR("Name", 1, 10, NULL, test_fsal_args, name),
	CONFIG_EOL
};

static struct config_item test_export_items[] = {
	CONF_RELAX_BLOCK("FSAL", test_fsal_items, noop_conf_init,
			 test_fsal_commit, test_export_args, fsal),
	CONFIG_EOL
};

void test_release_export(struct fsal_export *lio_exp,
			 struct fsal_obj_handle *root)
{
	op_ctx->fsal_export = lio_exp;
	root->obj_ops->release(root);
	lio_exp->exp_ops.release(lio_exp);
	/* Ganesha drops the export's module reference in its own teardown */
	fsal_put(&LOCALIO.module);
}

void test_reset_on(struct fsal_export *lio_exp)
{
	fake_reset();
	op_ctx->fsal_export = lio_exp;
}

int test_reset(void **state)
{
	test_reset_on(*state);
	return 0;
}

fsal_status_t test_create_export(const char *fsal_block,
				 struct fsal_export **exp)
{
	struct test_export_args args = { { 0 } };

	created = fsalstat(ERR_FSAL_INVAL, 0);
	op_ctx->fsal_export = NULL;
	(void)test_load_export_block(test_export_items, fsal_block, &args);
	*exp = FSAL_IS_ERROR(created) ? NULL : op_ctx->fsal_export;
	return created;
}
