/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO's publishing glue (publish.c, called from the object and
 * export ops) against a running LOCALIO server and a real map: what the
 * FSAL ops leave in the map is read back as a client reads it. The fake
 * sub-FSAL's handles carry real VFS opaques of files in a temp export
 * root, so the map holds what a VFS export would give clients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_sub_fsal.h"
#include "localio_server.h"
#include "map_probe.h"
#include "export_mgr.h"
#include "nfs_exports.h"
#include "nfs_file_handle.h"
#include "test_env.h"

#define OTHER_EXPORT_ID 20	/* exports the row tests make and drop */

static struct test_tree *map_tree;	/* under /dev/shm, like production */
static char map_path[512];
static struct test_tree *export_tree;
static const char *export_root;	/* the export's Path: real files */
static struct fsal_export *lio_exp;
static struct fsal_obj_handle *root;

/* A real object under the export root and its VFS opaque. */
struct object {
	char rel[256];
	uint8_t opaque[LOCALIO_MAX_OPAQUE];
	size_t len;
	struct stat st;
};

static void full_path(const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", export_root, *rel ? "/" : "", rel);
}

static void describe(const char *rel, struct object *o)
{
	char path[512];
	int n;

	full_path(rel, path, sizeof(path));
	snprintf(o->rel, sizeof(o->rel), "%s", rel);
	n = test_vfs_opaque(path, o->opaque, sizeof(o->opaque));
	if (n < 0)
		fail_msg("no VFS opaque for %s: %s", path, strerror(-n));
	o->len = (size_t)n;
	if (lstat(path, &o->st) != 0)
		fail_msg("cannot stat %s: %s", path, strerror(errno));
}

static void make_file(const char *rel, struct object *o)
{
	char path[512];
	int fd;

	full_path(rel, path, sizeof(path));
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	close(fd);
	describe(rel, o);
}

static void make_dir(const char *rel, struct object *o)
{
	char path[512];

	full_path(rel, path, sizeof(path));
	if (mkdir(path, 0755) != 0)
		fail_msg("cannot mkdir %s: %s", path, strerror(errno));
	describe(rel, o);
}

static void rename_on_disk(const char *from, const char *to)
{
	char a[512], b[512];

	full_path(from, a, sizeof(a));
	full_path(to, b, sizeof(b));
	if (rename(a, b) != 0)
		fail_msg("rename %s %s: %s", a, b, strerror(errno));
}

/* The next handle a fake op makes is o (type t). */
static void queue(const struct object *o, object_file_type_t t)
{
	fake_queue_handle(o->opaque, o->len, t, o->st.st_ino, o->st.st_dev);
}

static void assert_published(const struct object *o, const char *want)
{
	char path[512];
	int rc = test_map_path_of(map_path, TEST_EXPORT_ID, o->opaque, o->len,
				  path, sizeof(path));

	if (rc != 0)
		fail_msg("%s: not in the map (%s), want \"%s\"", o->rel,
			 strerror(-rc), want);
	assert_string_equal(path, want);
}

static void assert_absent(const struct object *o)
{
	char path[512];
	int rc = test_map_path_of(map_path, TEST_EXPORT_ID, o->opaque, o->len,
				  path, sizeof(path));

	if (rc != -ENOENT)
		fail_msg("%s: expected no entry, map has \"%s\" (rc %d)",
			 o->rel, rc == 0 ? path : "?", rc);
}

static void release(struct fsal_obj_handle *obj)
{
	obj->obj_ops->release(obj);
}

/* A LOCALIO handle for the real object o below dir, through lookup. */
static struct fsal_obj_handle *lookup(struct fsal_obj_handle *dir,
				      const char *name, const struct object *o,
				      object_file_type_t t)
{
	struct fsal_obj_handle *obj = NULL;
	fsal_status_t st;

	queue(o, t);
	st = dir->obj_ops->lookup(dir, name, &obj, NULL);
	assert_false(FSAL_IS_ERROR(st));
	assert_non_null(obj);
	return obj;
}

/* Makes rel (a directory for t == DIRECTORY, else a file) and gets its
 * handle through a lookup of its last component in dir. */
static struct fsal_obj_handle *lookup_new(struct fsal_obj_handle *dir,
					  const char *rel, struct object *o,
					  object_file_type_t t)
{
	const char *slash = strrchr(rel, '/');

	if (t == DIRECTORY)
		make_dir(rel, o);
	else
		make_file(rel, o);
	return lookup(dir, slash != NULL ? slash + 1 : rel, o, t);
}

static int start_server(void)
{
	struct localio_server_params params = {
		.map_path = map_path,
		.map_mode = 0640,
		.map_gid = -1,
		.max_entries = 1024,
		.port = 0,
		.bind_addr = "127.0.0.1",
		.register_rpcbind = false,
		.fh_format = localio_ganesha_fh_format(),
	};
	char err[256] = "";

	if (localio_server_start(&params, err, sizeof(err)) != 0) {
		fprintf(stderr, "LOCALIO server: %s\n", err);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	struct fsal_attrlist attrs = { 0 };
	struct object root_obj;
	fsal_status_t st;

	fake_reset();
	map_tree = test_make_tree("/dev/shm", "fsal-publish-map");
	export_tree = test_make_tree("/tmp", "fsal-publish-export");
	if (map_tree == NULL || export_tree == NULL)
		return -1;
	export_root = test_tree_path(export_tree);
	snprintf(map_path, sizeof(map_path), "%s/map", test_tree_path(map_tree));
	if (start_server() != 0)
		return -1;
	test_env_set_export_path(export_root);
	if (test_env_parse_export_perms("Access_Type = RW; Squash = no_root_squash;") != 0)
		return -1;
	st = test_create_export("FSAL { Name = LOCALIO;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }",
				&lio_exp);
	if (FSAL_IS_ERROR(st) || lio_exp == NULL)
		return -1;
	*state = lio_exp;	/* for test_reset */
	describe("", &root_obj);
	queue(&root_obj, DIRECTORY);
	st = lio_exp->exp_ops.lookup_path(lio_exp, export_root, &root, &attrs);
	return FSAL_IS_ERROR(st) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	test_release_export(lio_exp, root);
	localio_server_stop();
	test_remove_tree(export_tree);
	test_remove_tree(map_tree);
	return 0;
}

static void lookup_path_publishes_the_export_root(void **state)
{
	struct object root_obj;
	struct test_map_entry e;

	(void)state;
	describe("", &root_obj);
	assert_published(&root_obj, "");
	assert_int_equal(test_map_entry_of(map_path, TEST_EXPORT_ID,
					   root_obj.opaque, root_obj.len, &e), 0);
	assert_int_equal(e.type, LOCALIO_OBJ_DIRECTORY);
	/* the sub handle's fileid: the root's, queued at start */
	assert_int_equal(e.ino, root_obj.st.st_ino);
}

/* The wire-handle format the map publishes parses Ganesha's own handles:
 * NFSv4's as nfs4_FSALToFhandle (libganesha_nfsd) builds them, and NFSv3's
 * of every opaque length, padded by nfs3_sizeof_handle. */
static void the_published_format_parses_ganeshas_handles(void **state)
{
	uint8_t buf[NFS4_FHSIZE];
	nfs_fh4 fh4 = { .nfs_fh4_len = sizeof(buf),
			.nfs_fh4_val = (char *)buf };
	file_handle_v3_t *v3 = (file_handle_v3_t *)buf;
	uint32_t export_id = 0;
	size_t offset = 0;
	size_t len = 0;
	struct object root_obj;
	size_t n;

	(void)state;
	/* common/'s literal descriptor (MapConfig's default, the common
	 * tests') is the one Ganesha's headers give. */
	{
		const struct localio_fh_format derived = localio_ganesha_fh_format();
		const struct localio_fh_format literal = localio_fh_format_ganesha();

		assert_memory_equal(&derived, &literal, sizeof(derived));
	}
	describe("", &root_obj);
	assert_true(nfs4_FSALToFhandle(false, &fh4, root, test_env_export()));
	assert_int_equal(test_map_parse_wire(map_path, fh4.nfs_fh4_val,
					     fh4.nfs_fh4_len, &export_id,
					     &offset, &len),
			 0);
	assert_int_equal(export_id, TEST_EXPORT_ID);
	assert_int_equal(len, root_obj.len);
	assert_memory_equal(buf + offset, root_obj.opaque, len);

	for (n = 1; offsetof(file_handle_v3_t, fsopaque) + n <= NFS3_FHSIZE;
	     n++) {
		memset(buf, 0, sizeof(buf));
		v3->fhversion = GANESHA_FH_VERSION;
		v3->exportid = htons(TEST_EXPORT_ID);
		v3->fs_len = n;
		memset(v3->fsopaque, 0x5a, n);
		assert_int_equal(test_map_parse_wire(map_path, buf,
						     nfs3_sizeof_handle(v3),
						     &export_id, &offset, &len),
				 0);
		assert_int_equal(export_id, TEST_EXPORT_ID);
		assert_int_equal(offset, offsetof(file_handle_v3_t, fsopaque));
		assert_int_equal(len, n);
	}
}

/* The VFS opaques the map keys exports over FSAL_VFS by: the parser finds
 * the kernel handle after a filesystem id of each type of Ganesha's, as
 * long as sizeof_fsid (fsal_api.h) says. The flags byte (a one-byte kernel
 * handle type, 0x40) is FSAL_VFS's handle_syscalls.c's: no header has it. */
static void vfs_opaques_follow_ganeshas_fsid_sizes(void **state)
{
	uint8_t opaque[1 + 16 + 1 + 8];
	enum fsid_type t;

	(void)state;
	for (t = FSID_NO_TYPE; t <= FSID_DEVICE; t++) {
		int fsid = sizeof_fsid(t);

		assert_true(fsid >= 0 && fsid <= 16); /* cmocka 2.0 renamed assert_in_range */
		memset(opaque, 0xa5, sizeof(opaque));
		opaque[0] = 0x40 | t;
		opaque[1 + fsid] = 1; /* the kernel's handle type */
		assert_int_equal(
			test_vfs_kernel_handle_size(opaque, 2 + fsid + 8), 8);
	}
}

static void lookup_publishes_the_child_under_its_parent(void **state)
{
	struct object d, f;
	struct fsal_obj_handle *dh, *fh;
	struct test_map_entry e;

	(void)state;
	dh = lookup_new(root, "look", &d, DIRECTORY);
	assert_published(&d, "look");
	fh = lookup_new(dh, "look/file", &f, NO_FILE_TYPE);
	assert_published(&f, "look/file");
	assert_int_equal(test_map_entry_of(map_path, TEST_EXPORT_ID, f.opaque,
					   f.len, &e), 0);
	assert_int_equal(e.type, LOCALIO_OBJ_REGULAR);
	assert_int_equal(e.ino, fh->fileid);
	release(fh);
	release(dh);
}

/* One LOOKUP asks the sub-FSAL for the new handle's wire form once: the
 * directory's was taken when its handle was made, and the reply's
 * handle_to_wire is served from the new handle, with no map probe while
 * nothing left the map. */
static void a_lookup_takes_the_wire_form_once(void **state)
{
	struct object d, f;
	struct fsal_obj_handle *dh, *fh;
	uint8_t wire[LOCALIO_MAX_OPAQUE];
	struct gsh_buffdesc desc = { .addr = wire, .len = sizeof(wire) };
	uint64_t stamp;

	(void)state;
	dh = lookup_new(root, "once", &d, DIRECTORY);
	test_reset_on(lio_exp);
	fh = lookup_new(dh, "once/file", &f, NO_FILE_TYPE);
	assert_int_equal(fake_wire_calls, 1);
	assert_published(&f, "once/file");
	stamp = localio_handle_of(fh)->map_stamp;
	assert_true(stamp != 0);
	assert_int_equal(stamp, localio_map_stamp());
	assert_false(FSAL_IS_ERROR(fh->obj_ops->handle_to_wire(fh,
							FSAL_DIGEST_NFSV4,
							&desc)));
	assert_int_equal(fake_wire_calls, 1);
	assert_int_equal(desc.len, f.len);
	assert_memory_equal(wire, f.opaque, f.len);
	/* Too small a buffer is refused as the sub-FSAL would. */
	desc.len = f.len - 1;
	assert_int_equal(fh->obj_ops->handle_to_wire(fh, FSAL_DIGEST_NFSV4,
						     &desc).major,
			 ERR_FSAL_TOOSMALL);
	release(fh);
	release(dh);
}

static void lookup_of_dot_dot_publishes_nothing(void **state)
{
	struct object d;
	struct fsal_obj_handle *dh, *up;
	long before;

	(void)state;
	dh = lookup_new(root, "dots", &d, DIRECTORY);
	before = test_map_entry_count(map_path);
	up = lookup(dh, "..", &d, DIRECTORY);	/* the name must not stick */
	assert_published(&d, "dots");
	assert_int_equal(test_map_entry_count(map_path), before);
	release(up);
	release(dh);
}

static void mkdir_and_open2_create_publish(void **state)
{
	struct object m, c;
	struct fsal_obj_handle *obj = NULL;
	struct fsal_attrlist in = { 0 };
	fsal_verifier_t verf = { 0 };
	struct state_t open_state;
	struct test_map_entry e;
	bool perm = false;
	fsal_status_t st;

	(void)state;
	make_dir("made", &m);	/* what the sub-FSAL's mkdir would do */
	queue(&m, NO_FILE_TYPE);
	st = root->obj_ops->mkdir(root, "made", &in, &obj, NULL LOCALIO_NO_DIR_ATTRS);
	assert_false(FSAL_IS_ERROR(st));
	assert_published(&m, "made");
	assert_int_equal(test_map_entry_of(map_path, TEST_EXPORT_ID, m.opaque,
					   m.len, &e), 0);
	assert_int_equal(e.type, LOCALIO_OBJ_DIRECTORY);

	make_file("made/created", &c);
	queue(&c, NO_FILE_TYPE);
	st = obj->obj_ops->open2(obj, &open_state, FSAL_O_RDWR, FSAL_UNCHECKED,
				 "created", &in, verf, &obj, NULL, &perm LOCALIO_NO_DIR_ATTRS);
	assert_false(FSAL_IS_ERROR(st));
	assert_published(&c, "made/created");
	release(obj);
}

/* The entries the upper layer's readdir callback got. */
static struct fsal_obj_handle *dirents[4];
static int ndirents;

static enum fsal_dir_result collect(const char *name,
				    struct fsal_obj_handle *obj,
				    struct fsal_attrlist *attrs,
				    void *dir_state, fsal_cookie_t cookie)
{
	(void)name;
	(void)attrs;
	(void)dir_state;
	(void)cookie;
	if (ndirents < 4)
		dirents[ndirents++] = obj;
	return DIR_CONTINUE;
}

/* READDIR makes a handle per entry, most of which MDCACHE drops at once
 * (it has the object): an entry is published under its listed name when
 * its handle goes to a client, without asking the kernel, and one that
 * never goes costs the map nothing. */
static void readdir_publishes_an_entry_when_its_handle_goes_out(void **state)
{
	struct object d, a, b;
	struct fsal_obj_handle *dh;
	uint8_t wire[LOCALIO_MAX_OPAQUE];
	struct gsh_buffdesc desc = { .addr = wire, .len = sizeof(wire) };
	fsal_cookie_t whence = 0;
	bool eof = false;
	fsal_status_t st;
	uint64_t resolutions;

	(void)state;
	dh = lookup_new(root, "listed", &d, DIRECTORY);
	make_file("listed/a", &a);	/* the fake lists "a" then "b" */
	make_file("listed/b", &b);
	queue(&a, NO_FILE_TYPE);
	queue(&b, NO_FILE_TYPE);
	ndirents = 0;
	st = dh->obj_ops->readdir(dh, &whence, NULL, collect, 0, &eof);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(ndirents, 2);
	assert_absent(&a);
	assert_absent(&b);

	resolutions = localio_server_kernel_resolutions();
	op_ctx->fsal_export = lio_exp;
	assert_false(FSAL_IS_ERROR(dirents[0]->obj_ops->handle_to_wire(
		dirents[0], FSAL_DIGEST_NFSV4, &desc)));
	assert_published(&a, "listed/a");
	assert_int_equal(localio_server_kernel_resolutions(), resolutions);
	assert_null(localio_handle_of(dirents[0])->listed_as);
	assert_int_equal(localio_handle_of(dirents[0])->map_stamp,
			 localio_map_stamp());
	release(dirents[0]);
	release(dirents[1]);	/* its listed name goes with it */
	assert_absent(&b);
	release(dh);
}

static void rename_moves_the_entry(void **state)
{
	struct object f, to;
	struct fsal_obj_handle *fh, *toh;
	fsal_status_t st;

	(void)state;
	fh = lookup_new(root, "moving", &f, NO_FILE_TYPE);
	toh = lookup_new(root, "dest", &to, DIRECTORY);
	assert_published(&f, "moving");
	rename_on_disk("moving", "dest/moved");
	st = root->obj_ops->rename(fh, root, "moving", toh, "moved" LOCALIO_NO_DIR_ATTRS LOCALIO_NO_DIR_ATTRS);
	assert_false(FSAL_IS_ERROR(st));
	assert_published(&f, "dest/moved");
	release(fh);
	release(toh);
}

static void rename_of_a_directory_moves_its_entries(void **state)
{
	struct object d, sub, f;
	struct fsal_obj_handle *dh, *sh, *fh;
	fsal_status_t st;

	(void)state;
	dh = lookup_new(root, "tree", &d, DIRECTORY);
	sh = lookup_new(dh, "tree/sub", &sub, DIRECTORY);
	fh = lookup_new(sh, "tree/sub/leaf", &f, NO_FILE_TYPE);
	rename_on_disk("tree", "grove");
	st = root->obj_ops->rename(dh, root, "tree", root, "grove" LOCALIO_NO_DIR_ATTRS LOCALIO_NO_DIR_ATTRS);
	assert_false(FSAL_IS_ERROR(st));
	assert_published(&d, "grove");
	assert_published(&sub, "grove/sub");
	assert_published(&f, "grove/sub/leaf");
	release(fh);
	release(sh);
	release(dh);
}

static void unlink_removes_the_entry(void **state)
{
	struct object f;
	struct fsal_obj_handle *fh;
	char path[512];
	fsal_status_t st;

	(void)state;
	fh = lookup_new(root, "doomed", &f, NO_FILE_TYPE);
	assert_published(&f, "doomed");
	full_path("doomed", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	st = root->obj_ops->unlink(root, fh, "doomed" LOCALIO_NO_DIR_ATTRS);
	assert_false(FSAL_IS_ERROR(st));
	assert_absent(&f);
	release(fh);
}

static void handle_to_wire_of_a_known_object_changes_nothing(void **state)
{
	struct object f;
	struct fsal_obj_handle *fh;
	struct test_map_entry before, after;
	uint8_t buf[LOCALIO_MAX_OPAQUE];
	struct gsh_buffdesc desc = { .addr = buf, .len = sizeof(buf) };
	long count;
	uint64_t epoch;
	fsal_status_t st;

	(void)state;
	fh = lookup_new(root, "wired", &f, NO_FILE_TYPE);
	assert_int_equal(test_map_entry_of(map_path, TEST_EXPORT_ID, f.opaque,
					   f.len, &before), 0);
	count = test_map_entry_count(map_path);
	epoch = test_map_epoch(map_path);
	st = fh->obj_ops->handle_to_wire(fh, FSAL_DIGEST_NFSV3, &desc);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(desc.len, f.len);
	assert_memory_equal(buf, f.opaque, f.len);
	assert_int_equal(test_map_entry_of(map_path, TEST_EXPORT_ID, f.opaque,
					   f.len, &after), 0);
	assert_string_equal(after.path, "wired");
	assert_int_equal(after.generation, before.generation);
	assert_int_equal(test_map_entry_count(map_path), count);
	assert_int_equal(test_map_epoch(map_path), epoch);
	release(fh);
}

/* A change of who may open a regular file (mode, owner, group, ACL, label;
 * an extended attribute) bumps the map's access epoch, even when the
 * sub-FSAL fails (it may have changed the mode before failing at the
 * owner); a size or time change, a directory's mode or a failed xattr
 * change does not. */
static void access_changes_bump_the_access_epoch(void **state)
{
	static const attrmask_t access[] = { ATTR_MODE, ATTR_OWNER, ATTR_GROUP,
					     ATTR_ACL, ATTR4_SEC_LABEL };
	struct object f, d;
	struct fsal_obj_handle *fh, *dh;
	struct fsal_attrlist attrs = { 0 };
	xattrkey4 key = { 0 };
	xattrvalue4 value = { 0 };
	uint64_t epoch;
	fsal_status_t st;
	size_t i;

	(void)state;
	fh = lookup_new(root, "guarded", &f, NO_FILE_TYPE);
	dh = lookup_new(root, "guarded-dir", &d, DIRECTORY);
	epoch = test_map_access_epoch(map_path);
	for (i = 0; i < sizeof(access) / sizeof(access[0]); ++i) {
		attrs.valid_mask = access[i] | ATTR_SIZE;
		st = fh->obj_ops->setattr2(fh, false, NULL, &attrs);
		assert_false(FSAL_IS_ERROR(st));
		assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	}
	attrs.valid_mask = ATTR_MODE;
	fake_next_status = fsalstat(ERR_FSAL_PERM, EPERM);
	st = fh->obj_ops->setattr2(fh, false, NULL, &attrs);
	assert_int_equal(st.major, ERR_FSAL_PERM);
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	fake_next_status = fsalstat(ERR_FSAL_NO_ERROR, 0);

	attrs.valid_mask = ATTR_SIZE | ATTR_ATIME | ATTR_MTIME;
	st = fh->obj_ops->setattr2(fh, false, NULL, &attrs);
	assert_false(FSAL_IS_ERROR(st));
	attrs.valid_mask = ATTR_MODE | ATTR_OWNER;
	st = dh->obj_ops->setattr2(dh, false, NULL, &attrs);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), epoch);

	st = fh->obj_ops->setxattrs(fh, SETXATTR4_EITHER, &key, &value);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	st = fh->obj_ops->removexattrs(fh, &key);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	st = fh->obj_ops->setextattr_value(fh, "system.posix_acl_access",
					   NULL, 0, 0);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	st = fh->obj_ops->setextattr_value_by_id(fh, 1, NULL, 0);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	st = fh->obj_ops->remove_extattr_by_id(fh, 1);
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	st = fh->obj_ops->remove_extattr_by_name(fh, "system.posix_acl_access");
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_access_epoch(map_path), ++epoch);
	fake_next_status = fsalstat(ERR_FSAL_ACCESS, EACCES);
	st = fh->obj_ops->setxattrs(fh, SETXATTR4_EITHER, &key, &value);
	assert_int_equal(st.major, ERR_FSAL_ACCESS);
	fake_next_status = fsalstat(ERR_FSAL_NO_ERROR, 0);
	assert_int_equal(test_map_access_epoch(map_path), epoch);
	release(fh);
	release(dh);
}

static void an_unnamed_handle_stays_out_without_a_resolver(void **state)
{
	struct object f;
	struct fsal_obj_handle *obj = NULL;
	struct gsh_buffdesc key = { .addr = NULL, .len = 0 };
	fsal_status_t st;

	(void)state;
	/* FAKESUB is not VFS: its handles are not resolved from the kernel,
	 * so a handle that arrives without a name cannot be published. */
	make_file("nameless", &f);
	key.addr = f.opaque;
	key.len = f.len;
	queue(&f, NO_FILE_TYPE);
	st = lio_exp->exp_ops.create_handle(lio_exp, &key, &obj, NULL);
	assert_false(FSAL_IS_ERROR(st));
	assert_absent(&f);
	release(obj);
}

static void failing_sub_ops_publish_nothing(void **state)
{
	struct object n, d, f;
	struct fsal_obj_handle *obj = root, *dh, *fh;
	struct fsal_attrlist in = { 0 };
	fsal_verifier_t verf = { 0 };
	struct state_t open_state;
	fsal_cookie_t whence = 0;
	bool perm = false, eof = false;
	long count;
	fsal_status_t st;

	(void)state;
	make_file("never", &n);
	dh = lookup_new(root, "kept", &d, DIRECTORY);
	fh = lookup_new(dh, "kept/f", &f, NO_FILE_TYPE);
	count = test_map_entry_count(map_path);

	queue(&n, NO_FILE_TYPE);
	fake_next_status = fsalstat(ERR_FSAL_NOENT, ENOENT);
	st = root->obj_ops->lookup(root, "never", &obj, NULL);
	assert_int_equal(st.major, ERR_FSAL_NOENT);
	assert_int_equal(st.minor, ENOENT);
	assert_null(obj);

	fake_next_status = fsalstat(ERR_FSAL_EXIST, EEXIST);
	st = root->obj_ops->mkdir(root, "never", &in, &obj, NULL LOCALIO_NO_DIR_ATTRS);
	assert_int_equal(st.major, ERR_FSAL_EXIST);
	assert_int_equal(st.minor, EEXIST);

	fake_next_status = fsalstat(ERR_FSAL_ACCESS, EACCES);
	st = root->obj_ops->open2(root, &open_state, FSAL_O_RDWR,
				  FSAL_UNCHECKED, "never", &in, verf, &obj,
				  NULL, &perm LOCALIO_NO_DIR_ATTRS);
	assert_int_equal(st.major, ERR_FSAL_ACCESS);
	assert_int_equal(st.minor, EACCES);

	fake_next_status = fsalstat(ERR_FSAL_NOTDIR, ENOTDIR);
	ndirents = 0;
	st = root->obj_ops->readdir(root, &whence, NULL, collect, 0, &eof);
	assert_int_equal(st.major, ERR_FSAL_NOTDIR);
	assert_int_equal(ndirents, 0);
	assert_int_equal(fake_queued(), 1);	/* no handle was made */
	assert_absent(&n);

	/* A refused rename or unlink leaves the entry where it was. */
	fake_next_status = fsalstat(ERR_FSAL_XDEV, EXDEV);
	st = root->obj_ops->rename(fh, dh, "f", root, "elsewhere" LOCALIO_NO_DIR_ATTRS LOCALIO_NO_DIR_ATTRS);
	assert_int_equal(st.major, ERR_FSAL_XDEV);
	assert_int_equal(st.minor, EXDEV);
	assert_published(&f, "kept/f");
	fake_next_status = fsalstat(ERR_FSAL_NOTEMPTY, ENOTEMPTY);
	st = root->obj_ops->unlink(root, dh, "kept" LOCALIO_NO_DIR_ATTRS);
	assert_int_equal(st.major, ERR_FSAL_NOTEMPTY);
	assert_int_equal(st.minor, ENOTEMPTY);
	assert_published(&d, "kept");
	assert_int_equal(test_map_entry_count(map_path), count);

	fake_next_status = fsalstat(ERR_FSAL_NO_ERROR, 0);
	release(fh);
	release(dh);
}

/* Creates an export (id OTHER_EXPORT_ID) after parsing `perms` as its
 * EXPORT block's options, checks its row, releases it. */
static void check_export_row(const char *perms, bool read_only, int squash,
			     uint32_t anon_uid, uint32_t anon_gid)
{
	struct gsh_export *gexp = test_env_export();
	struct fsal_export *exp = NULL;
	struct test_map_export row;
	fsal_status_t st;
	int32_t expire;
	uint32_t set;

	assert_int_equal(test_env_parse_export_perms(perms), 0);
	expire = gexp->export_perms.expire_time_attr;
	set = gexp->export_perms.set;
	gexp->export_id = OTHER_EXPORT_ID;
	st = test_create_export("FSAL { Name = LOCALIO; Client_Root = /mnt/c;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }", &exp);
	gexp->export_id = TEST_EXPORT_ID;
	assert_false(FSAL_IS_ERROR(st));
	assert_non_null(exp);

	assert_int_equal(test_map_export_of(map_path, OTHER_EXPORT_ID, &row), 0);
	assert_int_equal(row.read_only, read_only);
	assert_int_equal(row.squash, squash);
	assert_int_equal(row.anon_uid, anon_uid);
	assert_int_equal(row.anon_gid, anon_gid);
	assert_string_equal(row.server_root, export_root);
	assert_string_equal(row.client_root, "/mnt/c");
	/* The attribute cache is the export's own: WROTE keeps it coherent. */
	assert_int_equal(gexp->export_perms.expire_time_attr, expire);
	assert_int_equal(gexp->export_perms.set, set);

	exp->exp_ops.release(exp);
	fsal_put(&LOCALIO.module);
	assert_int_equal(test_map_export_of(map_path, OTHER_EXPORT_ID, &row),
			 -ENOENT);
}

/* Creates export OTHER_EXPORT_ID with `perms` and these CLIENT blocks
 * (NULL-terminated): the map has no row for it, and it is served. */
static void check_no_export_row(const char *perms, const char *const *clients)
{
	struct gsh_export *gexp = test_env_export();
	struct fsal_export *exp = NULL;
	struct test_map_export row;
	fsal_status_t st;

	assert_int_equal(test_env_parse_export_perms(perms), 0);
	for (; clients != NULL && *clients != NULL; clients++)
		assert_int_equal(test_env_add_client(*clients), 0);
	gexp->export_id = OTHER_EXPORT_ID;
	st = test_create_export("FSAL { Name = LOCALIO;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }", &exp);
	gexp->export_id = TEST_EXPORT_ID;
	test_env_clear_clients();
	assert_false(FSAL_IS_ERROR(st));
	assert_non_null(exp);
	assert_int_equal(test_map_export_of(map_path, OTHER_EXPORT_ID, &row),
			 -ENOENT);
	exp->exp_ops.release(exp);
	fsal_put(&LOCALIO.module);
}

static void export_row_defaults_are_restrictive(void **state)
{
	static const char *const none[] = { NULL };

	(void)state;
	/* Nothing set: Ganesha's default Access_Type is None (and the
	 * EXPORT_DEFAULTS block is not visible to an FSAL): no row. */
	check_no_export_row("", none);
	check_no_export_row("Access_Type = None;", none);
	check_no_export_row("Access_Type = MDONLY;", none);
}

/* CLIENT blocks: the row holds what every client gets at least. */
static void export_row_client_blocks_restrict_it(void **state)
{
	static const char *const ro[] = { "Access_Type = RO;", NULL };
	static const char *const squash[] = { "Squash = root_squash;", NULL };
	static const char *const no_access[] = { "Access_Type = None;", NULL };
	static const char *const anon[] = {
		"Squash = all_squash; Anonymous_uid = 2000;", NULL };
	const char *rw = "Access_Type = RW; Squash = no_root_squash;";

	(void)state;
	assert_int_equal(test_env_add_client(ro[0]), 0);
	check_export_row(rw, true, LOCALIO_SQUASH_NONE, LOCALIO_DEFAULT_ANON_ID, LOCALIO_DEFAULT_ANON_ID);
	test_env_clear_clients();

	assert_int_equal(test_env_add_client(squash[0]), 0);
	check_export_row(rw, false, LOCALIO_SQUASH_ROOT, LOCALIO_DEFAULT_ANON_ID, LOCALIO_DEFAULT_ANON_ID);
	test_env_clear_clients();

	check_no_export_row(rw, no_access);
	check_no_export_row("Access_Type = RW; Squash = all_squash; Anonymous_uid = 1000;",
			    anon);
	/* A client allowed where the export allows nobody: the bypass
	 * cannot tell that client from the others. */
	check_no_export_row("Access_Type = None;", (const char *const[]){
				    "Access_Type = RW;", NULL });
}

/* Manage_Gids: the server takes the caller's groups from its own database,
 * which the bypass cannot see; set by the export or by any CLIENT block. */
static void export_row_manage_gids_gets_no_row(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const managed[] = { "Manage_Gids = true;", NULL };
	static const char *const unmanaged[] = { "Manage_Gids = false;", NULL };
	const char *rw = "Access_Type = RW; Squash = no_root_squash;";

	(void)state;
	check_no_export_row("Access_Type = RW; Manage_Gids = true;", none);
	check_no_export_row(rw, managed);
	/* A CLIENT block that leaves it unset takes the export's. */
	check_no_export_row("Access_Type = RW; Manage_Gids = true;",
			    (const char *const[]){ "Access_Type = RO;", NULL });
	/* Set to false, or unset: the row is there. */
	check_export_row("Access_Type = RW; Squash = no_root_squash;"
			 " Manage_Gids = false;",
			 false, LOCALIO_SQUASH_NONE, LOCALIO_DEFAULT_ANON_ID, LOCALIO_DEFAULT_ANON_ID);
	assert_int_equal(test_env_add_client(unmanaged[0]), 0);
	check_export_row(rw, false, LOCALIO_SQUASH_NONE, LOCALIO_DEFAULT_ANON_ID, LOCALIO_DEFAULT_ANON_ID);
	test_env_clear_clients();
}

static void export_row_read_only_root_squash(void **state)
{
	(void)state;
	check_export_row("Access_Type = RO; Squash = root_squash;"
			 " Anonymous_uid = 1234;",
			 true, LOCALIO_SQUASH_ROOT, 1234, LOCALIO_DEFAULT_ANON_ID);
}

static void export_row_all_squash_keeps_an_explicit_expiry(void **state)
{
	(void)state;
	check_export_row("Access_Type = RW; Squash = all_squash;"
			 " Anonymous_uid = 4321; Anonymous_gid = 99;"
			 " Attr_Expiration_Time = 30;",
			 false, LOCALIO_SQUASH_ALL, 4321, 99);
}

static void export_row_no_root_squash_read_write(void **state)
{
	(void)state;
	check_export_row("Access_Type = RW; Squash = no_root_squash;",
			 false, LOCALIO_SQUASH_NONE, LOCALIO_DEFAULT_ANON_ID, LOCALIO_DEFAULT_ANON_ID);
}

static void release_of_an_export_drops_its_entries(void **state)
{
	struct gsh_export *gexp = test_env_export();
	struct fsal_export *exp = NULL;
	struct fsal_obj_handle *r = NULL;
	struct object root_obj;
	char path[512];
	uint64_t epoch;
	fsal_status_t st;

	(void)state;
	assert_int_equal(test_env_parse_export_perms("Access_Type = RW;"), 0);
	gexp->export_id = OTHER_EXPORT_ID;
	st = test_create_export("FSAL { Name = LOCALIO;\n"
				"  FSAL { Name = " FAKE_SUB_NAME "; } }", &exp);
	assert_false(FSAL_IS_ERROR(st));
	describe("", &root_obj);
	queue(&root_obj, DIRECTORY);
	st = exp->exp_ops.lookup_path(exp, export_root, &r, NULL);
	gexp->export_id = TEST_EXPORT_ID;
	assert_false(FSAL_IS_ERROR(st));
	assert_int_equal(test_map_path_of(map_path, OTHER_EXPORT_ID,
					  root_obj.opaque, root_obj.len, path,
					  sizeof(path)), 0);
	epoch = test_map_epoch(map_path);
	r->obj_ops->release(r);
	exp->exp_ops.release(exp);
	fsal_put(&LOCALIO.module);
	assert_true(test_map_epoch(map_path) > epoch);
	assert_int_equal(test_map_path_of(map_path, OTHER_EXPORT_ID,
					  root_obj.opaque, root_obj.len, path,
					  sizeof(path)), -ENOENT);
	/* The group's export is untouched. */
	assert_published(&root_obj, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(lookup_path_publishes_the_export_root, test_reset),
		cmocka_unit_test_setup(the_published_format_parses_ganeshas_handles, test_reset),
		cmocka_unit_test_setup(vfs_opaques_follow_ganeshas_fsid_sizes, test_reset),
		cmocka_unit_test_setup(lookup_publishes_the_child_under_its_parent, test_reset),
		cmocka_unit_test_setup(a_lookup_takes_the_wire_form_once, test_reset),
		cmocka_unit_test_setup(lookup_of_dot_dot_publishes_nothing, test_reset),
		cmocka_unit_test_setup(mkdir_and_open2_create_publish, test_reset),
		cmocka_unit_test_setup(readdir_publishes_an_entry_when_its_handle_goes_out, test_reset),
		cmocka_unit_test_setup(rename_moves_the_entry, test_reset),
		cmocka_unit_test_setup(rename_of_a_directory_moves_its_entries, test_reset),
		cmocka_unit_test_setup(unlink_removes_the_entry, test_reset),
		cmocka_unit_test_setup(handle_to_wire_of_a_known_object_changes_nothing, test_reset),
		cmocka_unit_test_setup(access_changes_bump_the_access_epoch, test_reset),
		cmocka_unit_test_setup(an_unnamed_handle_stays_out_without_a_resolver, test_reset),
		cmocka_unit_test_setup(failing_sub_ops_publish_nothing, test_reset),
		cmocka_unit_test_setup(export_row_defaults_are_restrictive, test_reset),
		cmocka_unit_test_setup(export_row_client_blocks_restrict_it, test_reset),
		cmocka_unit_test_setup(export_row_manage_gids_gets_no_row, test_reset),
		cmocka_unit_test_setup(export_row_read_only_root_squash, test_reset),
		cmocka_unit_test_setup(export_row_all_squash_keeps_an_explicit_expiry, test_reset),
		cmocka_unit_test_setup(export_row_no_root_squash_read_write, test_reset),
		cmocka_unit_test_setup(release_of_an_export_drops_its_entries, test_reset),
	};

	test_env_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
