/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Ganesha 6.5 and later (9.14 adds version_ops_ganesha9.c): the fake's fd-LRU ops, and the tests that LOCALIO
 * passes them down, hands the namespace ops' directory attributes to the
 * sub-FSAL, and takes a reloaded LOCALIO block without acting on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_sub_fsal.h"
#include "test_env.h"

static void fake_get_fsal_obj_hdl(struct fsal_export *exp_hdl,
				  struct fsal_fd *fd,
				  struct fsal_obj_handle **handle)
{
	(void)exp_hdl;
	fake_record(__func__, NULL, NULL, fd);
	*handle = NULL;
}

static fsal_status_t fake_close_func(struct fsal_obj_handle *obj,
				     struct fsal_fd *fd)
{
	return fake_answer(__func__, obj, NULL, fd);
}

static fsal_status_t fake_reopen_func(struct fsal_obj_handle *obj,
				      fsal_openflags_t openflags,
				      struct fsal_fd *fd)
{
	(void)openflags;
	return fake_answer(__func__, obj, NULL, fd);
}

void fake_version_export_ops_init(struct export_ops *ops)
{
	ops->get_fsal_obj_hdl = fake_get_fsal_obj_hdl;
#if GANESHA_VERSION_MAJOR >= 9
	fake_v9_export_ops_init(ops);
#endif
}

void fake_version_obj_ops_init(struct fsal_obj_ops *ops)
{
	ops->close_func = fake_close_func;
	ops->reopen_func = fake_reopen_func;
}

#define assert_reached(name, sub_exp, lio_exp)				\
	do {								\
		assert_string_equal(fake_last.op, name);		\
		assert_ptr_equal(fake_last.ctx_export, sub_exp);	\
		assert_ptr_equal(op_ctx->fsal_export, lio_exp);		\
	} while (0)

/* A reload's LOCALIO block is checked; the running values stay. */
static void update_config_checks_and_keeps_the_running_values(void)
{
	struct fsal_module *me = &LOCALIO.module;
	uint32_t max_entries = LOCALIO.config.max_entries;
	struct config_error_type err;
	config_file_t conf;
	fsal_status_t st;

	conf = test_parse("LOCALIO { Max_Entries = 4096; Port = 4711; }\n",
			  &err);
	st = me->m_ops.update_config(me, conf, &err);
	config_Free(conf);
	test_err_text(&err);
	assert_int_equal(st.major, ERR_FSAL_NO_ERROR);
	assert_int_equal(LOCALIO.config.max_entries, max_entries);

	conf = test_parse("LOCALIO { Max_Entries = 3; }\n", &err);
	st = me->m_ops.update_config(me, conf, &err);
	config_Free(conf);
	assert_string_not_equal(test_err_text(&err), "");
	assert_int_equal(st.major, ERR_FSAL_INVAL);
	assert_int_equal(LOCALIO.config.max_entries, max_entries);
}

void version_only_ops_pass_through(struct fsal_export *lio_exp,
				   struct fsal_export *sub_exp,
				   struct fsal_obj_handle *root)
{
	struct fsal_attrlist pre = { 0 }, post = { 0 }, pre2 = { 0 },
			     post2 = { 0 };
	struct fsal_obj_handle *obj = NULL, *dir = NULL;
	struct fsal_obj_handle *handle = root;
	struct fsal_fd fd = { 0 };
	struct state_t open_state;
	fsal_verifier_t verf = { 0 };
	bool perm = false;
	fsal_status_t st;

	lio_exp->exp_ops.get_fsal_obj_hdl(lio_exp, &fd, &handle);
	assert_reached("fake_get_fsal_obj_hdl", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.arg, &fd);
	assert_null(handle);

	fake_next_status = fsalstat(ERR_FSAL_NOT_OPENED, 0);
	st = root->obj_ops->close_func(root, &fd);
	assert_reached("fake_close_func", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_ptr_equal(fake_last.arg, &fd);
	assert_int_equal(st.major, ERR_FSAL_NOT_OPENED);

	fake_next_status = fsalstat(ERR_FSAL_ACCESS, EACCES);
	st = root->obj_ops->reopen_func(root, FSAL_O_RDWR, &fd);
	assert_reached("fake_reopen_func", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.obj, localio_sub(root));
	assert_int_equal(st.major, ERR_FSAL_ACCESS);

	/* Directory attributes reach the sub-FSAL as the caller gave them */
	fake_next_status = fsalstat(ERR_FSAL_NO_ERROR, 0);
	st = root->obj_ops->mkdir(root, "d", NULL, &dir, NULL, &pre, &post);
	assert_reached("fake_mkdir", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.dir_attrs[0], &pre);
	assert_ptr_equal(fake_last.dir_attrs[1], &post);

	st = root->obj_ops->open2(root, &open_state, FSAL_O_RDWR,
				  FSAL_UNCHECKED, "f", NULL, verf, &obj, NULL,
				  &perm, &pre2, &post2);
	assert_reached("fake_open2", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.dir_attrs[0], &pre2);
	assert_ptr_equal(fake_last.dir_attrs[1], &post2);

	st = obj->obj_ops->rename(obj, root, "f", dir, "g", &pre, &post,
				  &pre2, &post2);
	assert_reached("fake_rename", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.dir_attrs[0], &pre);
	assert_ptr_equal(fake_last.dir_attrs[1], &post);
	assert_ptr_equal(fake_last.dir_attrs[2], &pre2);
	assert_ptr_equal(fake_last.dir_attrs[3], &post2);

	st = obj->obj_ops->link(obj, dir, "h", &post, &pre);
	assert_reached("fake_link", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.obj2, localio_sub(dir));
	assert_ptr_equal(fake_last.dir_attrs[0], &post);
	assert_ptr_equal(fake_last.dir_attrs[1], &pre);

	st = dir->obj_ops->unlink(dir, obj, "g", &pre2, &post);
	assert_reached("fake_unlink", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.dir_attrs[0], &pre2);
	assert_ptr_equal(fake_last.dir_attrs[1], &post);
	assert_int_equal(st.major, ERR_FSAL_NO_ERROR);
	obj->obj_ops->release(obj);

	st = dir->obj_ops->mknode(dir, "fifo", FIFO_FILE, NULL, &obj, NULL,
				  &post2, &pre2);
	assert_reached("fake_mknode", sub_exp, lio_exp);
	assert_ptr_equal(fake_last.dir_attrs[0], &post2);
	assert_ptr_equal(fake_last.dir_attrs[1], &pre2);
	assert_int_equal(obj->type, FIFO_FILE);
	obj->obj_ops->release(obj);

	st = dir->obj_ops->symlink(dir, "ln", "target", NULL, &obj, NULL,
				   &pre, &post2);
	assert_reached("fake_symlink", sub_exp, lio_exp);
	assert_string_equal(fake_last.arg, "target");
	assert_ptr_equal(fake_last.dir_attrs[0], &pre);
	assert_ptr_equal(fake_last.dir_attrs[1], &post2);
	obj->obj_ops->release(obj);
	dir->obj_ops->release(dir);

	update_config_checks_and_keeps_the_running_values();
#if GANESHA_VERSION_MAJOR >= 9
	v9_ops_pass_through(lio_exp, sub_exp);
#endif
}
