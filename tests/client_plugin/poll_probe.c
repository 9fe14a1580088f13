/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* An async libnfs program (it links libnfs only) that checks what the
 * shim's poll, ppoll and select do, run by preload_poll_test under
 * liblocalio_preload.so and without it.
 *
 * It writes a file, then:
 *  1. semantics with completions waiting: a set of the context's fd and a
 *     pipe with data reports both; with nothing pending a poll times out
 *     after its timeout and one cut by a signal fails with EINTR;
 *  2. a seccomp filter makes every poll, ppoll, select and pselect6 SYSTEM
 *     CALL fail with ENOSYS; then, ROUNDS times: nfs_pread_async, a poll
 *     (ppoll without a mask, select, in turn) on the context's fd for
 *     nfs_which_events, nfs_service: each must report the fd writable
 *     without the kernel. A ppoll with a signal mask, and a poll with
 *     nothing pending, must still reach the kernel (ENOSYS), as must a set
 *     that holds another descriptor.
 * NFSv3 (no close RPC is needed). Prints "ok" and exits 0 when every step
 * behaved; else prints the step
 * that did not, on stderr, and exits 1 (without the shim step 2 fails).
 *
 * usage: poll_probe <nfs url of a new file> <rounds> */
#define _GNU_SOURCE
#include <sys/time.h>

#include <nfsc/libnfs.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static int fail(const char *what)
{
	fprintf(stderr, "poll_probe: %s\n", what);
	exit(1);
}

struct read_state {
	int done;
	int status;
};

static void read_done(int status, struct nfs_context *nfs, void *data, void *private_data)
{
	struct read_state *st = private_data;
	(void)nfs;
	(void)data;
	st->done = 1;
	st->status = status;
}

static void on_alarm(int sig) { (void)sig; }

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Every poll-family system call fails with ENOSYS from here on. */
static void deny_poll_syscalls(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_poll, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ppoll, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_select, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pselect6, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		fail("cannot install the seccomp filter");
}

/* Queues one async read of block 0; the completion waits for nfs_service. */
static void queue_read(struct nfs_context *nfs, struct nfsfh *fh, struct read_state *st)
{
	st->done = 0;
	if (nfs_pread_async(nfs, fh, 0, BLOCK, read_done, st) != 0)
		fail("nfs_pread_async failed");
}

static void service(struct nfs_context *nfs, int revents, struct read_state *st)
{
	if (nfs_service(nfs, revents) < 0)
		fail("nfs_service failed");
	if (!st->done || st->status != BLOCK)
		fail("the read did not complete from that service");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s <nfs url of a new file> <rounds>\n", argv[0]);
		return 2;
	}
	const int rounds = atoi(argv[2]);
	struct nfs_context *nfs = nfs_init_context();
	struct nfs_url *url = nfs ? nfs_parse_url_full(nfs, argv[1]) : NULL;
	struct nfsfh *fh = NULL;
	char buf[BLOCK];
	memset(buf, 'p', sizeof(buf));
	if (url == NULL || nfs_mount(nfs, url->server, url->path) != 0 ||
	    nfs_open2(nfs, url->file, O_CREAT | O_RDWR, 0644, &fh) != 0 ||
	    nfs_pwrite(nfs, fh, 0, BLOCK, buf) != BLOCK)
		fail("mount, create or write failed");
	const int fd = nfs_get_fd(nfs);
	int pipefd[2];
	if (pipe(pipefd) != 0)
		fail("pipe");
	struct read_state st;

	/* 1. Semantics. */
	queue_read(nfs, fh, &st);
	if (write(pipefd[1], "x", 1) != 1)
		fail("pipe write");
	struct pollfd two[2] = {{fd, (short)nfs_which_events(nfs), 0}, {pipefd[0], POLLIN, 0}};
	if (poll(two, 2, -1) < 1 || !(two[1].revents & POLLIN))
		fail("a set of the context's fd and a readable pipe: the pipe not reported");
	while (!st.done) {
		if (nfs_service(nfs, two[0].revents) < 0)
			fail("nfs_service failed");
		two[0].events = (short)nfs_which_events(nfs);
		if (!st.done && poll(two, 1, 5000) != 1)
			fail("no reply in 5 s");
	}
	if (st.status != BLOCK)
		fail("the first read failed");
	if (read(pipefd[0], buf, 1) != 1)
		fail("pipe read");
	struct pollfd empty = {pipefd[0], POLLIN, 0};
	double start = now_ms();
	if (poll(&empty, 1, 30) != 0 || now_ms() - start < 29)
		fail("a poll with nothing ready did not wait its timeout");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	errno = 0;
	if (poll(&empty, 1, 5000) != -1 || errno != EINTR)
		fail("a poll cut by a signal did not fail with EINTR");

	/* 2. Completions waiting: answered without the kernel. */
	deny_poll_syscalls();
	errno = 0;
	if (poll(&empty, 1, 0) != -1 || errno != ENOSYS)
		fail("the filter does not hold: a poll with nothing pending reached no kernel");
	for (int i = 0; i < rounds; i++) {
		queue_read(nfs, fh, &st);
		struct pollfd p = {fd, (short)nfs_which_events(nfs), 0};
		int n;
		switch (i % 3) {
		case 0:
			n = poll(&p, 1, -1);
			break;
		case 1:
			n = ppoll(&p, 1, NULL, NULL);
			break;
		default: {
			fd_set w;
			FD_ZERO(&w);
			FD_SET(fd, &w);
			n = select(fd + 1, NULL, &w, NULL, NULL);
			p.revents = (n == 1 && FD_ISSET(fd, &w)) ? POLLOUT : 0;
			break;
		}
		}
		if (n != 1 || !(p.revents & POLLOUT)) {
			fprintf(stderr, "poll_probe: round %d (%s): %d, errno %d\n", i,
				i % 3 == 0 ? "poll" : i % 3 == 1 ? "ppoll" : "select", n, errno);
			return 1;
		}
		service(nfs, p.revents, &st);
	}
	queue_read(nfs, fh, &st);
	struct pollfd p = {fd, (short)nfs_which_events(nfs), 0};
	sigset_t mask;
	sigemptyset(&mask);
	errno = 0;
	if (ppoll(&p, 1, NULL, &mask) != -1 || errno != ENOSYS)
		fail("a ppoll with a signal mask did not reach the kernel");
	struct pollfd mixed[2] = {{fd, (short)nfs_which_events(nfs), 0}, {pipefd[0], POLLIN, 0}};
	errno = 0;
	if (poll(mixed, 2, 0) != -1 || errno != ENOSYS)
		fail("a set with another descriptor did not reach the kernel");
	service(nfs, POLLOUT, &st);
	/* No nfs_close: libnfs's own wait loops poll through the kernel. */
	printf("ok\n");
	return 0;
}
