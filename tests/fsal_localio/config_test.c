/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO configuration: the LOCALIO { } module block and the
 * per-export FSAL { } block, parsed by Ganesha's own parser from files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fake_sub_fsal.h"
#include "test_env.h"

/* Parses text's LOCALIO block into cfg; returns whether it was accepted
 * and copies the diagnostics into diag. */
static bool load_module(const char *text, struct localio_module_config *cfg,
			char *diag, size_t diag_size)
{
	struct config_error_type err;
	config_file_t root = test_parse(text, &err);
	bool ok;

	assert_non_null(root);
	ok = localio_module_config_load(root, cfg, &err);
	snprintf(diag, diag_size, "%s", test_err_text(&err));
	config_Free(root);
	return ok;
}

static void module_defaults_apply_without_a_block(void **state)
{
	struct localio_module_config cfg = { 0 };
	char diag[1024];

	(void)state;
	assert_true(load_module("NFSV4 { Graceless = true; }\n", &cfg, diag,
				sizeof(diag)));
	assert_string_equal(cfg.map_path, "/dev/shm/ganesha-localio");
	assert_int_equal(cfg.map_mode, 0640);
	assert_null(cfg.map_group);
	assert_int_equal(cfg.max_entries, 262144);
	assert_int_equal(cfg.port, 0);
	localio_module_config_release(&cfg);
}

static void module_values_are_stored(void **state)
{
	struct localio_module_config cfg = { 0 };
	struct group *root_group = getgrgid(0);
	char text[512];
	char diag[1024];

	(void)state;
	assert_non_null(root_group);
	snprintf(text, sizeof(text),
		 "LOCALIO { Map_Path = /tmp/localio-map; Map_Mode = 0600;\n"
		 "  Map_Group = %s; Max_Entries = 1024; Port = 2050; }\n",
		 root_group->gr_name);
	assert_true(load_module(text, &cfg, diag, sizeof(diag)));
	assert_string_equal(cfg.map_path, "/tmp/localio-map");
	assert_int_equal(cfg.map_mode, 0600);
	assert_string_equal(cfg.map_group, root_group->gr_name);
	assert_int_equal(cfg.map_gid, 0);
	assert_int_equal(cfg.max_entries, 1024);
	assert_int_equal(cfg.port, 2050);
	localio_module_config_release(&cfg);
}

/* Each bad value is refused. Our own checks name the parameter; for type
 * errors Ganesha's parser words the message itself and points at the file
 * and line, so `param` may be "Config File". */
static void expect_refusal(bool accepted, const char *what, const char *diag,
			   const char *param)
{
	if (accepted)
		fail_msg("accepted: %s", what);
	if (strstr(diag, param) == NULL)
		fail_msg("diagnostics for \"%.80s\" do not name %s: %s", what,
			 param, diag);
}

static void expect_module_rejected(const char *block, const char *param)
{
	struct localio_module_config cfg = { 0 };
	char text[512];
	char diag[2048];
	bool accepted;

	snprintf(text, sizeof(text), "LOCALIO { %s }\n", block);
	accepted = load_module(text, &cfg, diag, sizeof(diag));
	expect_refusal(accepted, block, diag, param);
	localio_module_config_release(&cfg);
}

static void module_bad_values_are_rejected(void **state)
{
	(void)state;
	expect_module_rejected("Map_Path = relative/map;", "Map_Path");
	expect_module_rejected("Map_Mode = rw;", "Config File");
	expect_module_rejected("Map_Mode = -1;", "Config File");
	expect_module_rejected("Map_Mode = 01777;", "Map_Mode");
	expect_module_rejected("Map_Group = no-such-group-localio;",
			       "Map_Group");
	expect_module_rejected("Max_Entries = 8;", "Max_Entries");
	expect_module_rejected("Max_Entries = 67108865;", "Max_Entries");
	expect_module_rejected("Port = 70000;", "Config File");
	expect_module_rejected("Map_Mode = 07777;", "Map_Mode");
	expect_module_rejected("Max_Entries = 4294967296;", "Config File");
}

/* Parses a top-level FSAL { } block with LOCALIO's per-export table. */
static bool load_export(const char *block, struct localio_export_args *args,
			char *diag, size_t diag_size)
{
	struct config_error_type err;
	config_file_t root = test_parse(block, &err);
	int rc;

	assert_non_null(root);
	memset(args, 0, sizeof(*args));
	rc = load_config_from_parse(root, &localio_export_param_block, args,
				    true, &err);
	snprintf(diag, diag_size, "%s", test_err_text(&err));
	config_Free(root);
	return rc > 0 && config_error_is_harmless(&err);
}

static void export_block_is_parsed(void **state)
{
	struct localio_export_args args;
	char diag[1024];

	(void)state;
	assert_true(load_export("FSAL { Name = LOCALIO; Client_Root = /mnt/data;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }\n",
				&args, diag, sizeof(diag)));
	assert_string_equal(args.client_root, "/mnt/data");
	assert_string_equal(args.subfsal.name, FAKE_SUB_NAME);
	assert_non_null(args.subfsal.fsal_node);
	localio_export_args_release(&args);

	assert_true(load_export("FSAL { Name = LOCALIO; FSAL { Name = "
				FAKE_SUB_NAME "; } }\n",
				&args, diag, sizeof(diag)));
	assert_null(args.client_root);
	localio_export_args_release(&args);
}

static void expect_export_rejected(const char *inner, const char *param)
{
	struct localio_export_args args;
	char text[PATH_MAX + 512];
	char diag[2048];
	bool accepted;

	snprintf(text, sizeof(text), "FSAL { Name = LOCALIO; %s }\n", inner);
	accepted = load_export(text, &args, diag, sizeof(diag));
	expect_refusal(accepted, inner, diag, param);
	localio_export_args_release(&args);
}

static void export_bad_client_root_is_rejected(void **state)
{
	static char long_root[PATH_MAX + 64];

	(void)state;
	expect_export_rejected("Client_Root = mnt/data; FSAL { Name = "
			       FAKE_SUB_NAME "; }", "Client_Root");
	expect_export_rejected("Client_Root = /mnt/../etc; FSAL { Name = "
			       FAKE_SUB_NAME "; }", "Client_Root");
	expect_export_rejected("Client_Root = /mnt/data/..; FSAL { Name = "
			       FAKE_SUB_NAME "; }", "Client_Root");
	long_root[0] = '/';
	memset(long_root + 1, 'a', PATH_MAX + 8);
	char inner[PATH_MAX + 128];

	snprintf(inner, sizeof(inner), "Client_Root = %s; FSAL { Name = "
		 FAKE_SUB_NAME "; }", long_root);
	expect_export_rejected(inner, "Client_Root");
}

static void export_without_sub_fsal_is_rejected(void **state)
{
	(void)state;
	expect_export_rejected("Client_Root = /mnt/data;", "nested FSAL");
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
	struct localio_module_config cfg = { 0 };
	static char text[16384];
	char diag[1024];
	FILE *f = fopen(LOCALIO_SOURCE_DIR "/config/ganesha.conf", "r");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_true(load_module(text, &cfg, diag, sizeof(diag)));
	assert_string_equal(cfg.map_path, "/dev/shm/ganesha-localio");
	assert_int_equal(cfg.map_mode, 0640);
	assert_null(cfg.map_group);
	assert_int_equal(cfg.max_entries, 262144);
	assert_int_equal(cfg.port, 0);
	localio_module_config_release(&cfg);
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
	};

	test_env_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
