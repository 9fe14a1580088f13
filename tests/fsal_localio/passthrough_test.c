/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO pass-through: every op reaches the sub-FSAL with the
 * sub-export in op_ctx, results and errors come back unchanged, sub-FSAL
 * handles come back wrapped, and op_ctx is restored afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "fake_sub_fsal.h"
#include "test_env.h"

static struct fsal_export *lio_exp;		/* the LOCALIO export under test */
static struct fsal_export *sub_exp;	/* the fake sub-export under it */
static struct fsal_obj_handle *root;	/* LOCALIO handle of the root */

#define FSAL_OK fsalstat(ERR_FSAL_NO_ERROR, 0)

/* The last sub-FSAL call was `op`, ran with the sub-export in op_ctx, and
 * op_ctx is back to the LOCALIO export. */
#define assert_passed(name)						\
	do {								\
		assert_non_null(fake_last.op);				\
		assert_string_equal(fake_last.op, name);			\
		assert_ptr_equal(fake_last.ctx_export, sub_exp);	\
		assert_ptr_equal(op_ctx->fsal_export, lio_exp);		\
	} while (0)

#define assert_status(st, want)						\
	do {								\
		assert_int_equal((st).major, (want));			\
	} while (0)

/* ... with `arg` as the argument to check, and st is its status `want`. */
#define assert_passed_with(name, arg_, st, want)			\
	do {								\
		assert_passed(name);					\
		assert_ptr_equal(fake_last.arg, (arg_));		\
		assert_status(st, want);				\
	} while (0)

static int fake_id(struct fsal_obj_handle *sub)
{
	return container_of(sub, struct fake_handle, obj)->id;
}

/* A LOCALIO handle that wraps fake handle `id`. */
static void assert_wraps(struct fsal_obj_handle *obj, int id)
{
	assert_non_null(obj);
	assert_ptr_equal(obj->fsal, &LOCALIO.module);
	assert_ptr_equal(obj->obj_ops, &LOCALIO.handle_ops);
	assert_int_equal(fake_id(localio_sub(obj)), id);
	assert_int_equal(obj->fileid, localio_sub(obj)->fileid);
	assert_int_equal(obj->type, localio_sub(obj)->type);
}

static void release_handle(struct fsal_obj_handle *obj)
{
	int released = fake_last.released;

	obj->obj_ops->release(obj);
	assert_passed("fake_release");
	assert_int_equal(fake_last.released, released + 1);
}

static int setup(void **state)
{
	struct fsal_attrlist attrs = { 0 };
	fsal_status_t st;

	fake_reset();
	st = test_create_export("FSAL { Name = LOCALIO; Client_Root = /mnt/data;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }",
				&lio_exp);
	if (FSAL_IS_ERROR(st) || lio_exp == NULL)
		return -1;
	*state = lio_exp;	/* for test_reset */
	sub_exp = &fake_last_export->export;
	st = lio_exp->exp_ops.lookup_path(lio_exp, TEST_EXPORT_PATH, &root, &attrs);
	return FSAL_IS_ERROR(st) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	test_release_export(lio_exp, root);
	return 0;
}

static void export_is_stacked_over_the_sub_export(void **state)
{
	struct localio_export *lexp = localio_export_of(lio_exp);

	(void)state;
	assert_ptr_equal(lio_exp->fsal, &LOCALIO.module);
	assert_ptr_equal(lio_exp->sub_export, sub_exp);
	assert_ptr_equal(sub_exp->super_export, lio_exp);
	assert_int_equal(lio_exp->export_id, TEST_EXPORT_ID);
	assert_ptr_equal(lio_exp->up_ops, &test_up_ops);
	assert_ptr_equal(sub_exp->up_ops, &test_up_ops);
	assert_string_equal(lexp->client_root, "/mnt/data");
	assert_string_equal(lio_exp->exp_ops.get_name(lio_exp),
			    "LOCALIO/" FAKE_SUB_NAME);
	assert_wraps(root, 1);
}

static void sub_create_export_failure_passes_through(void **state)
{
	struct fsal_export *none = NULL;
	fsal_status_t st;

	(void)state;
	fake_create_export_status = fsalstat(ERR_FSAL_ACCESS, EACCES);
	st = test_create_export("FSAL { Name = LOCALIO; FSAL { Name = "
				FAKE_SUB_NAME "; } }", &none);
	assert_status(st, ERR_FSAL_ACCESS);
	assert_int_equal(st.minor, EACCES);
	assert_null(none);
	assert_string_equal(fake_last.op, "fake_create_export");
	assert_ptr_equal(fake_last.arg, &test_up_ops);
}

static void bad_export_block_never_reaches_the_sub_fsal(void **state)
{
	struct fsal_export *none = NULL;
	fsal_status_t st;

	(void)state;
	st = test_create_export("FSAL { Name = LOCALIO; Client_Root = ../x;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }", &none);
	assert_status(st, ERR_FSAL_INVAL);
	assert_null(none);
	assert_int_equal(fake_last.count, 0);
}

static void export_ops_pass_through(void **state)
{
	struct fsal_obj_handle *obj = NULL;
	struct fsal_attrlist attrs = { 0 };
	struct gsh_buffdesc key = { .addr = "k", .len = 1 };
	struct state_t related;
	struct state_t *st_new;
	fsal_status_t st;

	(void)state;
	assert_int_equal(lio_exp->exp_ops.fs_maxread(lio_exp), 123456);
	assert_passed("fake_fs_maxread");

	st = lio_exp->exp_ops.create_handle(lio_exp, &key, &obj, &attrs);
	assert_passed_with("fake_create_handle", &key, st, ERR_FSAL_NO_ERROR);
	assert_wraps(obj, 5);
	assert_int_equal(attrs.filesize, FAKE_FILESIZE);
	release_handle(obj);

	fake_next_status = fsalstat(ERR_FSAL_STALE, ESTALE);
	obj = root;
	st = lio_exp->exp_ops.create_handle(lio_exp, &key, &obj, &attrs);
	assert_status(st, ERR_FSAL_STALE);
	assert_int_equal(st.minor, ESTALE);
	assert_null(obj);

	st_new = lio_exp->exp_ops.alloc_state(lio_exp, STATE_TYPE_SHARE, &related);
	assert_passed("fake_alloc_state");
	assert_ptr_equal(fake_last.arg, &related);
	gsh_free(st_new);
}

/* The ops of this Ganesha version only (version_ops_ganesha<major>.c). */
static void version_only_ops_pass_through_(void **state)
{
	(void)state;
	version_only_ops_pass_through(lio_exp, sub_exp, root);
}

static void lookup_wraps_the_sub_handle(void **state)
{
	struct fsal_obj_handle *obj = NULL;
	struct fsal_attrlist attrs = { 0 };
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->lookup(root, "file", &obj, &attrs);
	assert_passed("fake_lookup");
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_string_equal(fake_last.arg, "file");
	assert_status(st, ERR_FSAL_NO_ERROR);
	assert_wraps(obj, 2);
	assert_true(attrs.valid_mask & ATTR_SIZE);
	assert_int_equal(attrs.filesize, FAKE_FILESIZE);
	release_handle(obj);
}

static void lookup_error_passes_through(void **state)
{
	struct fsal_obj_handle *obj = root;
	fsal_status_t st;

	(void)state;
	fake_next_status = fsalstat(ERR_FSAL_NOENT, ENOENT);
	st = root->obj_ops->lookup(root, "missing", &obj, NULL);
	assert_passed("fake_lookup");
	assert_status(st, ERR_FSAL_NOENT);
	assert_int_equal(st.minor, ENOENT);
	assert_null(obj);
}

static void mkdir_wraps_and_fails_through(void **state)
{
	struct fsal_obj_handle *obj = NULL;
	struct fsal_attrlist in = { 0 };
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->mkdir(root, "d", &in, &obj, NULL LOCALIO_NO_DIR_ATTRS);
	assert_passed("fake_mkdir");
	assert_ptr_equal(fake_last.arg, &in);
	assert_wraps(obj, 3);
	release_handle(obj);

	fake_next_status = fsalstat(ERR_FSAL_EXIST, EEXIST);
	st = root->obj_ops->mkdir(root, "d", &in, &obj, NULL LOCALIO_NO_DIR_ATTRS);
	assert_status(st, ERR_FSAL_EXIST);
	assert_null(obj);
}

static void open2_create_wraps_and_uses_the_given_state(void **state)
{
	struct fsal_obj_handle *obj = NULL;
	struct fsal_attrlist in = { 0 }, out = { 0 };
	fsal_verifier_t verf = { 0 };
	struct state_t open_state;
	bool perm = false;
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->open2(root, &open_state, FSAL_O_RDWR,
				  FSAL_UNCHECKED, "new", &in, verf, &obj, &out,
				  &perm LOCALIO_NO_DIR_ATTRS);
	assert_passed("fake_open2");
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_ptr_equal(fake_last.arg, &open_state);
	assert_status(st, ERR_FSAL_NO_ERROR);
	assert_true(perm);
	assert_wraps(obj, 4);
	assert_int_equal(out.filesize, FAKE_FILESIZE);
	release_handle(obj);

	fake_next_status = fsalstat(ERR_FSAL_ACCESS, EACCES);
	st = root->obj_ops->open2(root, &open_state, FSAL_O_RDWR,
				  FSAL_UNCHECKED, "new", &in, verf, &obj, &out,
				  &perm LOCALIO_NO_DIR_ATTRS);
	assert_status(st, ERR_FSAL_ACCESS);
	assert_int_equal(st.minor, EACCES);
	assert_null(obj);
}

static void close2_passes_state(void **state)
{
	struct state_t open_state;
	fsal_status_t st;

	(void)state;
	fake_next_status = fsalstat(ERR_FSAL_BADHANDLE, 0);
	st = root->obj_ops->close2(root, &open_state);
	assert_passed_with("fake_close2", &open_state, st, ERR_FSAL_BADHANDLE);
}

/* What the upper layer's I/O callback saw. */
static struct {
	int calls;
	struct fsal_obj_handle *obj;
	fsal_status_t status;
	void *obj_data;
	void *caller_data;
	struct fsal_export *ctx_export;
} upper_io;

static void upper_io_done(struct fsal_obj_handle *obj, fsal_status_t ret,
			  void *obj_data, void *caller_data)
{
	upper_io.calls++;
	upper_io.obj = obj;
	upper_io.status = ret;
	upper_io.obj_data = obj_data;
	upper_io.caller_data = caller_data;
	upper_io.ctx_export = op_ctx->fsal_export;
}

static void read2_completes_inline_with_localio_view(void **state)
{
	struct fsal_io_arg arg = { 0 };
	int cookie;

	(void)state;
	memset(&upper_io, 0, sizeof(upper_io));
	fake_next_status = fsalstat(ERR_FSAL_IO, EIO);
	root->obj_ops->read2(root, false, upper_io_done, &arg, &cookie);
	assert_passed("fake_read2");
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_int_equal(upper_io.calls, 1);
	assert_ptr_equal(upper_io.obj, root);
	assert_status(upper_io.status, ERR_FSAL_IO);
	assert_int_equal(upper_io.status.minor, EIO);
	assert_ptr_equal(upper_io.obj_data, &arg);
	assert_ptr_equal(upper_io.caller_data, &cookie);
	assert_ptr_equal(upper_io.ctx_export, lio_exp);
	assert_int_equal(arg.io_amount, FAKE_FILESIZE);
}

static void write2_completes_later_with_localio_view(void **state)
{
	struct fsal_io_arg arg = { 0 };
	int cookie;

	(void)state;
	memset(&upper_io, 0, sizeof(upper_io));
	fake_defer_io = true;
	root->obj_ops->write2(root, false, upper_io_done, &arg, &cookie);
	assert_passed("fake_write2");
	assert_int_equal(upper_io.calls, 0);

	/* completion from a sub-FSAL thread whose op_ctx names no LOCALIO
	 * export: the upper layer must still see its own */
	op_ctx->fsal_export = NULL;
	fake_complete_io(FSAL_OK);
	assert_int_equal(upper_io.calls, 1);
	assert_ptr_equal(upper_io.obj, root);
	assert_status(upper_io.status, ERR_FSAL_NO_ERROR);
	assert_ptr_equal(upper_io.obj_data, &arg);
	assert_ptr_equal(upper_io.caller_data, &cookie);
	assert_ptr_equal(upper_io.ctx_export, lio_exp);
	assert_null(op_ctx->fsal_export);
}

static void commit2_status_passes_through(void **state)
{
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->commit2(root, 0, 4096);
	assert_passed("fake_commit2");
	assert_status(st, ERR_FSAL_NO_ERROR);
	fake_next_status = fsalstat(ERR_FSAL_NOSPC, ENOSPC);
	st = root->obj_ops->commit2(root, 0, 4096);
	assert_status(st, ERR_FSAL_NOSPC);
	assert_int_equal(st.minor, ENOSPC);
}

static void getattrs_and_setattr2_pass_through(void **state)
{
	struct fsal_attrlist attrs = { 0 };
	struct state_t open_state;
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->getattrs(root, &attrs);
	assert_passed_with("fake_getattrs", &attrs, st, ERR_FSAL_NO_ERROR);
	assert_int_equal(attrs.filesize, FAKE_FILESIZE);

	fake_next_status = fsalstat(ERR_FSAL_PERM, EPERM);
	st = root->obj_ops->setattr2(root, false, &open_state, &attrs);
	assert_passed_with("fake_setattr2", &open_state, st, ERR_FSAL_PERM);
}

static void rename_and_unlink_get_sub_handles(void **state)
{
	struct fsal_obj_handle *a = NULL, *b = NULL;
	fsal_status_t st;

	(void)state;
	root->obj_ops->lookup(root, "a", &a, NULL);
	root->obj_ops->mkdir(root, "b", NULL, &b, NULL LOCALIO_NO_DIR_ATTRS);

	st = a->obj_ops->rename(a, root, "a", b, "a2" LOCALIO_NO_DIR_ATTRS LOCALIO_NO_DIR_ATTRS);
	assert_passed("fake_rename");
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_ptr_equal(fake_last.obj2, localio_sub(b));
	assert_ptr_equal(fake_last.arg, localio_sub(a));
	assert_status(st, ERR_FSAL_NO_ERROR);

	fake_next_status = fsalstat(ERR_FSAL_NOTEMPTY, ENOTEMPTY);
	st = root->obj_ops->unlink(root, b, "b" LOCALIO_NO_DIR_ATTRS);
	assert_passed("fake_unlink");
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_ptr_equal(fake_last.obj2, localio_sub(b));
	assert_status(st, ERR_FSAL_NOTEMPTY);

	release_handle(a);
	release_handle(b);
}

/* What the upper layer's readdir callback saw. */
static struct {
	int calls;
	struct fsal_obj_handle *objs[4];
	char names[4][8];
	bool ctx_was_localio;
} upper_dir;

static enum fsal_dir_result upper_dirent(const char *name,
					 struct fsal_obj_handle *obj,
					 struct fsal_attrlist *attrs,
					 void *dir_state, fsal_cookie_t cookie)
{
	(void)attrs;
	(void)cookie;
	assert_ptr_equal(dir_state, &upper_dir);
	upper_dir.ctx_was_localio = op_ctx->fsal_export == lio_exp;
	if (upper_dir.calls < 4) {
		upper_dir.objs[upper_dir.calls] = obj;
		snprintf(upper_dir.names[upper_dir.calls], 8, "%s", name);
	}
	upper_dir.calls++;
	return DIR_CONTINUE;
}

static void readdir_wraps_each_entry(void **state)
{
	fsal_cookie_t whence = 0;
	bool eof = false;
	fsal_status_t st;

	(void)state;
	memset(&upper_dir, 0, sizeof(upper_dir));
	st = root->obj_ops->readdir(root, &whence, &upper_dir, upper_dirent,
				    ATTR_SIZE, &eof);
	/* (the fake fails if the callback left op_ctx changed) */
	assert_passed_with("fake_readdir", &whence, st, ERR_FSAL_NO_ERROR);
	assert_true(eof);
	assert_int_equal(upper_dir.calls, 2);
	assert_true(upper_dir.ctx_was_localio);
	assert_string_equal(upper_dir.names[0], "a");
	assert_string_equal(upper_dir.names[1], "b");
	assert_wraps(upper_dir.objs[0], 10);
	assert_wraps(upper_dir.objs[1], 11);
	release_handle(upper_dir.objs[0]);
	release_handle(upper_dir.objs[1]);

	fake_next_status = fsalstat(ERR_FSAL_NOTDIR, ENOTDIR);
	st = root->obj_ops->readdir(root, &whence, &upper_dir, upper_dirent,
				    ATTR_SIZE, &eof);
	assert_status(st, ERR_FSAL_NOTDIR);
}

static void handle_to_wire_gives_the_sub_bytes(void **state)
{
	char buf[64];
	struct gsh_buffdesc fh = { .addr = buf, .len = sizeof(buf) };
	int id;
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->handle_to_wire(root, FSAL_DIGEST_NFSV4, &fh);
	assert_passed("fake_handle_to_wire");
	assert_status(st, ERR_FSAL_NO_ERROR);
	assert_int_equal(fh.len, sizeof(id));
	memcpy(&id, buf, sizeof(id));
	assert_int_equal(id, 1);

	fh.len = 1;
	st = root->obj_ops->handle_to_wire(root, FSAL_DIGEST_NFSV3, &fh);
	assert_status(st, ERR_FSAL_TOOSMALL);
}

static void merge_passes_both_sub_handles(void **state)
{
	struct fsal_obj_handle *dupe = NULL;
	fsal_status_t st;

	(void)state;
	root->obj_ops->lookup(root, "dupe", &dupe, NULL);
	fake_next_status = fsalstat(ERR_FSAL_DELAY, 0);
	st = root->obj_ops->merge(root, dupe);
	assert_passed("fake_merge");
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_ptr_equal(fake_last.obj2, localio_sub(dupe));
	assert_status(st, ERR_FSAL_DELAY);
	release_handle(dupe);
}

static void lease_op2_passes_state(void **state)
{
	struct state_t deleg_state;
	fsal_status_t st;

	(void)state;
	st = root->obj_ops->lease_op2(root, &deleg_state, NULL, FSAL_DELEG_RD);
	assert_passed_with("fake_lease_op2", &deleg_state, st,
			   ERR_FSAL_NO_ERROR);
	fake_next_status = fsalstat(ERR_FSAL_SHARE_DENIED, 0);
	st = root->obj_ops->lease_op2(root, &deleg_state, NULL, FSAL_DELEG_WR);
	assert_status(st, ERR_FSAL_SHARE_DENIED);
}

static void xattr_ops_pass_through(void **state)
{
	xattrkey4 key = { 0 };
	xattrvalue4 value = { 0 };
	xattrlist4 names = { 0 };
	nfs_cookie4 cookie = 0;
	bool_t eof = false;
	fsal_status_t st;

	(void)state;
	fake_next_status = fsalstat(ERR_FSAL_NOENT, ENODATA);
	st = root->obj_ops->getxattrs(root, &key, &value);
	assert_passed_with("fake_getxattrs", &key, st, ERR_FSAL_NOENT);
	assert_int_equal(st.minor, ENODATA);

	fake_next_status = fsalstat(ERR_FSAL_ACCESS, EACCES);
	st = root->obj_ops->setxattrs(root, SETXATTR4_CREATE, &key, &value);
	assert_passed_with("fake_setxattrs", &key, st, ERR_FSAL_ACCESS);

	fake_next_status = FSAL_OK;
	st = root->obj_ops->removexattrs(root, &key);
	assert_passed_with("fake_removexattrs", &key, st, ERR_FSAL_NO_ERROR);

	st = root->obj_ops->listxattrs(root, 4096, &cookie, &eof, &names);
	assert_passed("fake_listxattrs");
	assert_ptr_equal(fake_last.arg, &names);
	assert_true(eof);
}

/* Slots of an ops table, viewed as a row of function pointers (both
 * tables hold nothing else). */
#define SLOTS(ops) (sizeof(ops) / sizeof(void (*)(void)))

static void no_op_is_left_at_ganesha_default(void **state)
{
	struct fsal_obj_ops def_obj;
	struct fsal_export def_exp = { 0 };
	void (*mine[SLOTS(struct fsal_obj_ops)])(void);
	void (*dflt[SLOTS(struct fsal_obj_ops)])(void);
	void (*mine_e[SLOTS(struct export_ops)])(void);
	void (*dflt_e[SLOTS(struct export_ops)])(void);

	(void)state;
	fsal_default_obj_ops_init(&def_obj);
	memcpy(mine, &LOCALIO.handle_ops, sizeof(mine));
	memcpy(dflt, &def_obj, sizeof(dflt));
	for (size_t i = 0; i < SLOTS(struct fsal_obj_ops); i++)
		if (mine[i] == dflt[i] || mine[i] == NULL)
			fail_msg("fsal_obj_ops slot %zu is not LOCALIO's", i);

	fsal_export_init(&def_exp);
	memcpy(mine_e, &lio_exp->exp_ops, sizeof(mine_e));
	memcpy(dflt_e, &def_exp.exp_ops, sizeof(dflt_e));
	for (size_t i = 0; i < SLOTS(struct export_ops); i++)
		if (mine_e[i] == dflt_e[i] || mine_e[i] == NULL)
			fail_msg("export_ops slot %zu is not LOCALIO's", i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(export_is_stacked_over_the_sub_export, test_reset),
		cmocka_unit_test_setup(export_ops_pass_through, test_reset),
		cmocka_unit_test_setup(lookup_wraps_the_sub_handle, test_reset),
		cmocka_unit_test_setup(lookup_error_passes_through, test_reset),
		cmocka_unit_test_setup(mkdir_wraps_and_fails_through, test_reset),
		cmocka_unit_test_setup(open2_create_wraps_and_uses_the_given_state, test_reset),
		cmocka_unit_test_setup(close2_passes_state, test_reset),
		cmocka_unit_test_setup(read2_completes_inline_with_localio_view, test_reset),
		cmocka_unit_test_setup(write2_completes_later_with_localio_view, test_reset),
		cmocka_unit_test_setup(commit2_status_passes_through, test_reset),
		cmocka_unit_test_setup(getattrs_and_setattr2_pass_through, test_reset),
		cmocka_unit_test_setup(rename_and_unlink_get_sub_handles, test_reset),
		cmocka_unit_test_setup(readdir_wraps_each_entry, test_reset),
		cmocka_unit_test_setup(handle_to_wire_gives_the_sub_bytes, test_reset),
		cmocka_unit_test_setup(merge_passes_both_sub_handles, test_reset),
		cmocka_unit_test_setup(lease_op2_passes_state, test_reset),
		cmocka_unit_test_setup(xattr_ops_pass_through, test_reset),
		cmocka_unit_test_setup(version_only_ops_pass_through_, test_reset),
		cmocka_unit_test_setup(no_op_is_left_at_ganesha_default, test_reset),
		/* these create exports of their own; keep them last */
		cmocka_unit_test_setup(sub_create_export_failure_passes_through, test_reset),
		cmocka_unit_test_setup(bad_export_block_never_reaches_the_sub_fsal, test_reset),
	};

	test_env_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
