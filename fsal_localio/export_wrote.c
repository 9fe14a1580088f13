/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* LOCALIO WROTE: a bypassing client wrote a file behind Ganesha's back, and
 * MDCACHE's cached attributes of it are dropped (the up-call), so that
 * other clients' GETATTR reads the sub-FSAL's. */
#include "localio_methods.h"
#include "export_mgr.h"

#include <errno.h>
#include <string.h>

/* Our export in the stack under the gsh_export's (MDCACHE's on top). */
struct localio_export *localio_export_in(struct fsal_export *top)
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
