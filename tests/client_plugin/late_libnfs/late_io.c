/* SPDX-License-Identifier: LGPL-3.0-or-later */
#include "late_io.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

static uint8_t pattern_byte(uint64_t offset) { return (uint8_t)((offset * 131 + offset / 4096) & 0xff); }

struct read_state {
	int pending;
	int status;
	uint8_t *buf;
};

static void read_done(int status, struct nfs_context *nfs, void *data, void *private_data)
{
	struct read_state *st = private_data;
	(void)nfs;
	st->pending = 0;
	st->status = status;
	if (status > 0)
		memcpy(st->buf, data, (size_t)status);
}

int late_io_run(const struct late_libnfs *f, const char *url_text, size_t bytes)
{
	struct nfs_context *nfs = f->init_context();
	struct nfs_url *url = NULL;
	struct nfsfh *fh = NULL;
	uint8_t *buf = malloc(CHUNK);
	int rc = -1;
	if (nfs == NULL || buf == NULL) {
		fprintf(stderr, "late-libnfs: out of memory\n");
		goto out;
	}
	url = f->parse_url_full(nfs, url_text);
	if (url == NULL || url->file == NULL) {
		fprintf(stderr, "late-libnfs: bad url %s: %s\n", url_text, f->get_error(nfs));
		goto out;
	}
	if (f->mount(nfs, url->server, url->path) != 0 ||
	    f->open2(nfs, url->file, O_CREAT | O_TRUNC | O_RDWR, 0644, &fh) != 0) {
		fprintf(stderr, "late-libnfs: mount or open failed: %s\n", f->get_error(nfs));
		goto out;
	}
	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		const uint64_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = pattern_byte(off + i);
		if (f->pwrite(nfs, fh, off, n, buf) != (int)n) {
			fprintf(stderr, "late-libnfs: pwrite at %llu failed: %s\n",
				(unsigned long long)off, f->get_error(nfs));
			goto out;
		}
	}
	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		const uint64_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
		struct read_state st = {1, 0, buf};
		if (f->pread_async(nfs, fh, off, n, read_done, &st) != 0) {
			fprintf(stderr, "late-libnfs: pread_async failed: %s\n", f->get_error(nfs));
			goto out;
		}
		while (st.pending) {
			struct pollfd p = {f->get_fd(nfs), (short)f->which_events(nfs), 0};
			if (poll(&p, 1, 10000) <= 0) {
				fprintf(stderr, "late-libnfs: no reply to a read at %llu in 10 s\n",
					(unsigned long long)off);
				goto out;
			}
			if (f->service(nfs, p.revents) < 0) {
				fprintf(stderr, "late-libnfs: nfs_service failed: %s\n", f->get_error(nfs));
				goto out;
			}
		}
		if (st.status != (int)n) {
			fprintf(stderr, "late-libnfs: read at %llu returned %d\n",
				(unsigned long long)off, st.status);
			goto out;
		}
		for (uint64_t i = 0; i < n; i++) {
			if (buf[i] != pattern_byte(off + i)) {
				fprintf(stderr, "late-libnfs: wrong byte at %llu\n",
					(unsigned long long)(off + i));
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (fh != NULL && f->close(nfs, fh) != 0 && rc == 0) {
		fprintf(stderr, "late-libnfs: close failed: %s\n", f->get_error(nfs));
		rc = -1;
	}
	if (url != NULL)
		f->destroy_url(url);
	if (nfs != NULL)
		f->destroy_context(nfs);
	free(buf);
	return rc;
}
