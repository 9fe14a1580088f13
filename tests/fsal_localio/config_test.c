/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO configuration: the LOCALIO { } module block and the
 * per-export FSAL { } block, parsed by Ganesha's own parser from files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <grp.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fake_sub_fsal.h"
#include "test_env.h"

/* The blocks LOCALIO reads: the module's LOCALIO { }, and an export's
 * FSAL { Name = LOCALIO; } parsed as a top-level block with its table. */
enum block { MODULE_BLOCK, EXPORT_BLOCK };

static const char *const block_opening[] = {
	[MODULE_BLOCK] = "LOCALIO { ",
	[EXPORT_BLOCK] = "FSAL { Name = LOCALIO; ",
};

union loaded {
	struct localio_module_config module;
	struct localio_export_args exp;
};

/* Parses text's block of that kind into out; returns whether it was
 * accepted and copies the diagnostics into diag. */
static bool load(enum block which, const char *text, union loaded *out,
		 char *diag, size_t diag_size)
{
	struct config_error_type err;
	config_file_t root = test_parse(text, &err);
	bool ok;

	assert_non_null(root);
	memset(out, 0, sizeof(*out));
	if (which == MODULE_BLOCK)
		ok = localio_module_config_load(root, &out->module, &err);
	else
		ok = load_config_from_parse(root, &localio_export_param_block,
					    &out->exp, true, &err) > 0 &&
		     config_error_is_harmless(&err);
	snprintf(diag, diag_size, "%s", test_err_text(&err));
	config_Free(root);
	return ok;
}

static void release(enum block which, union loaded *out)
{
	if (which == MODULE_BLOCK)
		localio_module_config_release(&out->module);
	else
		localio_export_args_release(&out->exp);
}

/* What the module takes where no LOCALIO block says otherwise. */
static void assert_module_defaults(const struct localio_module_config *cfg)
{
	assert_null(cfg->map_path); /* named after the host and NFS port */
	assert_string_equal(cfg->map_dir, "/run/localio");
	assert_int_equal(cfg->map_mode, 0640);
	assert_null(cfg->map_group);
	assert_int_equal(cfg->max_entries, 262144);
	assert_int_equal(cfg->port, 0);
}

static void module_defaults_apply_without_a_block(void **state)
{
	union loaded out;
	char diag[1024];

	(void)state;
	assert_true(load(MODULE_BLOCK, "NFSV4 { Graceless = true; }\n", &out,
			 diag, sizeof(diag)));
	assert_module_defaults(&out.module);
	release(MODULE_BLOCK, &out);
}

static void module_values_are_stored(void **state)
{
	union loaded out;
	struct group *root_group = getgrgid(0);
	char text[512];
	char diag[1024];

	(void)state;
	assert_non_null(root_group);
	snprintf(text, sizeof(text),
		 "LOCALIO { Map_Path = /tmp/localio-map; Map_Mode = 0600;\n"
		 "  Map_Group = %s; Max_Entries = 1024; Port = 2050; }\n",
		 root_group->gr_name);
	assert_true(load(MODULE_BLOCK, text, &out, diag, sizeof(diag)));
	assert_string_equal(out.module.map_path, "/tmp/localio-map");
	assert_int_equal(out.module.map_mode, 0600);
	assert_string_equal(out.module.map_group, root_group->gr_name);
	assert_int_equal(out.module.map_gid, 0);
	assert_int_equal(out.module.max_entries, 1024);
	assert_int_equal(out.module.port, 2050);
	release(MODULE_BLOCK, &out);
}

/* Each bad value in a block of that kind is refused. Our own checks name
 * the parameter; for type errors Ganesha's parser words the message itself
 * and points at the file and line, so `param` may be "Config File". */
static void expect_rejected(enum block which, const char *items,
			    const char *param)
{
	union loaded out;
	char text[PATH_MAX + 512];
	char diag[2048];

	snprintf(text, sizeof(text), "%s%s }\n", block_opening[which], items);
	if (load(which, text, &out, diag, sizeof(diag)))
		fail_msg("accepted: %s", items);
	if (strstr(diag, param) == NULL)
		fail_msg("diagnostics for \"%.80s\" do not name %s: %s", items,
			 param, diag);
	release(which, &out);
}

static void module_bad_values_are_rejected(void **state)
{
	static const struct {
		const char *items, *param;
	} bad[] = {
		{ "Map_Path = relative/map;", "Map_Path" },
		{ "Map_Directory = relative/maps;", "Map_Directory" },
		{ "Map_Mode = rw;", "Config File" },
		{ "Map_Mode = -1;", "Config File" },
		{ "Map_Mode = 01777;", "Map_Mode" },
		{ "Map_Group = no-such-group-localio;", "Map_Group" },
		{ "Max_Entries = 8;", "Max_Entries" },
		{ "Max_Entries = 67108865;", "Max_Entries" },
		{ "Port = 70000;", "Config File" },
		{ "Map_Mode = 07777;", "Map_Mode" },
		/* Clients would not trust a map others may write. */
		{ "Map_Mode = 0660;", "Map_Mode" },
		{ "Map_Mode = 0642;", "Map_Mode" },
		{ "Map_Mode = 0666;", "Map_Mode" },
		{ "Max_Entries = 4294967296;", "Config File" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_rejected(MODULE_BLOCK, bad[i].items, bad[i].param);
}

static void export_block_is_parsed(void **state)
{
	union loaded out;
	char diag[1024];

	(void)state;
	assert_true(load(EXPORT_BLOCK,
			 "FSAL { Name = LOCALIO; Client_Root = /mnt/data;\n"
			 "  FSAL { Name = " FAKE_SUB_NAME "; } }\n",
			 &out, diag, sizeof(diag)));
	assert_string_equal(out.exp.client_root, "/mnt/data");
	assert_string_equal(out.exp.subfsal.name, FAKE_SUB_NAME);
	assert_non_null(out.exp.subfsal.fsal_node);
	release(EXPORT_BLOCK, &out);

	assert_true(load(EXPORT_BLOCK, "FSAL { Name = LOCALIO; FSAL { Name = "
			 FAKE_SUB_NAME "; } }\n", &out, diag, sizeof(diag)));
	assert_null(out.exp.client_root);
	release(EXPORT_BLOCK, &out);
}

static void export_bad_client_root_is_rejected(void **state)
{
	static char long_root[PATH_MAX + 64];

	(void)state;
	expect_rejected(EXPORT_BLOCK, "Client_Root = mnt/data;"
			" FSAL { Name = " FAKE_SUB_NAME "; }", "Client_Root");
	expect_rejected(EXPORT_BLOCK, "Client_Root = /mnt/../etc;"
			" FSAL { Name = " FAKE_SUB_NAME "; }", "Client_Root");
	expect_rejected(EXPORT_BLOCK, "Client_Root = /mnt/data/..;"
			" FSAL { Name = " FAKE_SUB_NAME "; }", "Client_Root");
	long_root[0] = '/';
	memset(long_root + 1, 'a', PATH_MAX + 8);
	char inner[PATH_MAX + 128];

	snprintf(inner, sizeof(inner), "Client_Root = %s; FSAL { Name = "
		 FAKE_SUB_NAME "; }", long_root);
	expect_rejected(EXPORT_BLOCK, inner, "Client_Root");
}

static void export_without_sub_fsal_is_rejected(void **state)
{
	(void)state;
	expect_rejected(EXPORT_BLOCK, "Client_Root = /mnt/data;", "nested FSAL");
}

static void client_root_rules(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(localio_client_root_valid("/", &why));
	assert_true(localio_client_root_valid("/mnt/..data/x.", &why));
	assert_true(localio_client_root_valid("/mnt//data/", &why));
	assert_false(localio_client_root_valid("", &why));
	assert_false(localio_client_root_valid("..", &why));
	assert_false(localio_client_root_valid("/..", &why));
	assert_false(localio_client_root_valid("/a/../b", &why));
	assert_non_null(why);
}

/* The example shipped in config/ is the documented one: it parses, and its
 * LOCALIO block gives the values the README describes. */
static void shipped_example_parses(void **state)
{
	union loaded out;
	static char text[16384];
	char diag[1024];
	FILE *f = fopen(LOCALIO_SOURCE_DIR "/config/ganesha.conf", "r");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_true(load(MODULE_BLOCK, text, &out, diag, sizeof(diag)));
	assert_module_defaults(&out.module);
	release(MODULE_BLOCK, &out);
}

static void map_group_resolution(void **state)
{
	struct group *root_group = getgrgid(0);
	gid_t gid = 12345;

	(void)state;
	assert_int_equal(localio_map_group_resolve(root_group->gr_name, &gid),
			 0);
	assert_int_equal(gid, 0);
	assert_int_equal(localio_map_group_resolve("no-such-group-localio",
						   &gid), -ENOENT);
}

/* Our config.h (cmake/ganesha_config/config.h.in) against the server's
 * build: nfs_param spans the parameter blocks whose layout its feature
 * macros change (USE_MONITORING's tail of nfs_core_param on 9.14, RDMA and
 * VSOCK fields elsewhere), and the server's library records the size it was
 * built with in its symbol table. A config.h that differs from Debian's
 * build shows here as another size. */
static void config_h_matches_the_servers_build(void **state)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;

	(void)state;
	assert_int_not_equal(dladdr1(&nfs_param, &info, (void **)&sym,
				     RTLD_DL_SYMENT), 0);
	assert_non_null(sym);
	if (sym->st_size != sizeof(nfs_param))
		fail_msg("nfs_param is %zu bytes in %s but %zu with this config.h",
			 (size_t)sym->st_size, info.dli_fname,
			 sizeof(nfs_param));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(module_defaults_apply_without_a_block),
		cmocka_unit_test(module_values_are_stored),
		cmocka_unit_test(module_bad_values_are_rejected),
		cmocka_unit_test(export_block_is_parsed),
		cmocka_unit_test(export_bad_client_root_is_rejected),
		cmocka_unit_test(export_without_sub_fsal_is_rejected),
		cmocka_unit_test(client_root_rules),
		cmocka_unit_test(map_group_resolution),
		cmocka_unit_test(shipped_example_parses),
		cmocka_unit_test(config_h_matches_the_servers_build),
	};

	test_env_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
