/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Test environment for FSAL_LOCALIO unit tests: an op context as a Ganesha
 * worker would have during export creation, config files in a temp dir
 * parsed by Ganesha's own parser, and export creation through the same
 * config path Ganesha uses (EXPORT { FSAL { ... } } -> create_export). */
#ifndef TEST_ENV_H
#define TEST_ENV_H

#include "localio_methods.h"

#define TEST_EXPORT_ID 10
#define TEST_EXPORT_PATH "/srv/data"

/* Sets op_ctx for export TEST_EXPORT_ID and registers FAKESUB. */
void test_env_init(void);

/* Writes text to a temp file and parses it; errors land in *err (which is
 * initialised here). The caller frees the result with config_Free. */
config_file_t test_parse(const char *text, struct config_error_type *err);

/* Parses "EXPORT { <fsal_block> }" and lets Ganesha's config processing
 * call LOCALIO's create_export on its FSAL block. Returns the status
 * create_export returned (ERR_FSAL_INVAL if it was never reached); on
 * success *exp is the LOCALIO export. */
fsal_status_t test_create_export(const char *fsal_block,
				 struct fsal_export **exp);

/* A test group's teardown: releases root (a handle of lio_exp) and the
 * LOCALIO export lio_exp made by test_create_export, with op_ctx on it. */
void test_release_export(struct fsal_export *lio_exp,
			 struct fsal_obj_handle *root);

/* A test's setup: forgets what the fake sub-FSAL recorded and points
 * op_ctx at lio_exp, as a Ganesha worker's call into LOCALIO would. */
void test_reset_on(struct fsal_export *lio_exp);
/* The same as each test's CMocka setup, in a group whose setup left its
 * LOCALIO export in *state (which CMocka hands every test of the group). */
int test_reset(void **state);

/* The gsh_export op_ctx names (export id, export_perms). */
struct gsh_export *test_env_export(void);

/* Makes `path` the export's Path (op_ctx's full path) from now on. */
void test_env_set_export_path(const char *path);

/* Resets the export's export_perms and parses `items` (e.g. "Access_Type
 * = RO; Squash = root_squash;") into them with Ganesha's parser, as the
 * EXPORT block's Access_Type, Squash, Anonymous_uid, Anonymous_gid and
 * Attr_Expiration_Time would be. 0, or the number of errors. */
int test_env_parse_export_perms(const char *items);
/* Adds a CLIENT block with these options (parsed the same way) to the
 * test export; test_env_clear_clients drops them all. */
int test_env_add_client(const char *items);
void test_env_clear_clients(void);

/* The up-call vector tests pass to create_export. */
extern const struct fsal_up_vector test_up_ops;

/* Releases err's diagnostics buffer; returns them for checks (static). */
const char *test_err_text(struct config_error_type *err);

#endif
