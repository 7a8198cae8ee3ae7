/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of procfs (procfs.h): the /proc line parsers fed with lines
 * copied from a real Linux system (the address words are in host byte
 * order, so these fixtures are for little-endian hosts), then the live
 * readers against sockets and a child process of this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.h"

static void test_procfs_parse_tcp_row(void **state)
{
	/* 127.0.0.1:41825 listening */
	const char *line = "   0: 0100007F:A361 00000000:0000 0A 00000000:00000000 00:00000000 "
	                   "00000000     0        0 180092 1 00000000b18fc5e0 100 0 0 10 0\n";
	const unsigned char lo[4] = {127, 0, 0, 1};
	struct procfs_inet_row r;

	(void)state;
	assert_int_equal(procfs_parse_inet_row(line, &r), 0);
	assert_int_equal(r.addr_len, 4);
	assert_memory_equal(r.addr, lo, 4);
	assert_int_equal(r.port, 41825);
	assert_int_equal(r.state, PROCFS_TCP_LISTEN);
	assert_int_equal(r.inode, 180092);
	assert_int_equal(
	    procfs_parse_inet_row("  sl  local_address rem_address   st tx_queue "
	                          "rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
	                          &r),
	    -1);
	assert_int_equal(procfs_parse_inet_row("   0: 0100007F\n", &r), -1);
}

static void test_procfs_parse_tcp6_and_udp_rows(void **state)
{
	/* [::1]:41825 listening; [::ffff:127.0.0.1]:53 bound (UDP st 07) */
	const char *v6 = "   0: 00000000000000000000000001000000:A361 "
	                 "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
	                 "00000000     0        0 180092 1 00000000b18fc5e0 100 0 0 10 0\n";
	const char *mapped = "  979: 0000000000000000FFFF00000100007F:0035 "
	                     "00000000000000000000000000000000:0000 07 00000000:00000000 "
	                     "00:00000000 00000000     0        0 180098 2 00000000e799edad 0\n";
	struct procfs_inet_row r;
	struct in6_addr want;

	(void)state;
	assert_int_equal(procfs_parse_inet_row(v6, &r), 0);
	assert_int_equal(inet_pton(AF_INET6, "::1", &want), 1);
	assert_int_equal(r.addr_len, 16);
	assert_memory_equal(r.addr, &want, 16);
	assert_int_equal(r.port, 41825);
	assert_int_equal(procfs_parse_inet_row(mapped, &r), 0);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", &want), 1);
	assert_memory_equal(r.addr, &want, 16);
	assert_int_equal(r.port, 53);
	assert_int_equal(r.state, 7);
}

static void test_procfs_parse_unix_rows(void **state)
{
	struct procfs_unix_row r;

	(void)state;
	/* listening stream socket at /tmp/xx.sock */
	assert_int_equal(procfs_parse_unix_row("000000005da1d540: 00000002 00000000 00010000 0001 "
	                                       "01 180789 /tmp/xx.sock\n",
	                                       &r),
	                 0);
	assert_int_equal(r.flags, PROCFS_UNIX_LISTENING);
	assert_int_equal(r.type, 1);
	assert_int_equal(r.inode, 180789);
	assert_int_equal(r.path_len, strlen("/tmp/xx.sock"));
	assert_memory_equal(r.path, "/tmp/xx.sock", r.path_len);
	/* datagram socket whose path holds a space */
	assert_int_equal(procfs_parse_unix_row("0000000087b1e2a4: 00000002 00000000 00000000 0002 "
	                                       "01 180147 /tmp/a b.sock\n",
	                                       &r),
	                 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.type, 2);
	assert_int_equal(r.path_len, strlen("/tmp/a b.sock"));
	assert_memory_equal(r.path, "/tmp/a b.sock", r.path_len);
	/* unnamed */
	assert_int_equal(procfs_parse_unix_row("0000000000000000: 00000003 00000000 00000000 0001 "
	                                       "03 12345\n",
	                                       &r),
	                 0);
	assert_int_equal(r.path_len, 0);
	assert_int_equal(procfs_parse_unix_row("Num       RefCount Protocol Flags    Type St Inode "
	                                       "Path\n",
	                                       &r),
	                 -1);
}

static void test_procfs_parse_stat_ppid(void **state)
{
	long ppid = -1;

	(void)state;
	assert_int_equal(procfs_parse_stat_ppid("1 (sh) S 0 1 1 0 -1 4194560\n", &ppid), 0);
	assert_int_equal(ppid, 0);
	/* a command name with spaces and parentheses cannot shift the fields */
	assert_int_equal(procfs_parse_stat_ppid("77 (a) b (c) S 9) R 42 77 77 0\n", &ppid), 0);
	assert_int_equal(ppid, 42);
	assert_int_equal(procfs_parse_stat_ppid("garbage", &ppid), -1);
	assert_int_equal(procfs_parse_stat_ppid("5 (x) S\n", &ppid), -1);
}

/* A socket of type bound to the loopback of family, port 0. */
static int bound_socket(int family, int type, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len =
	    family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void test_procfs_parse_stat(void **state)
{
	struct procfs_proc p;

	(void)state;
	/* A command name with a space and a ')' in it cannot shift the fields. */
	assert_int_equal(procfs_parse_stat("4242 (a b) c) S 17 4242 4242 0 -1 4194560 ...\n", &p),
	                 0);
	assert_int_equal(p.pid, 4242);
	assert_int_equal(p.ppid, 17);
	assert_int_equal(p.pgid, 4242);
	assert_int_equal(p.state, 'S');
	assert_string_equal(p.comm, "a b) c");
	assert_int_equal(procfs_parse_stat("77 (zombie) Z 1 76 76\n", &p), 0);
	assert_int_equal(p.state, 'Z');
	assert_int_equal(p.pgid, 76);
	assert_int_equal(procfs_parse_stat("12 (x S 1 2 3\n", &p), -1);
	assert_int_equal(procfs_parse_stat("", &p), -1);
}

/* The inode found for a listening port is the socket's own, and the
 * process that holds it is found by it. */
static void test_procfs_inode_of_live_socket(void **state)
{
	uint16_t port = 0;
	int fd = bound_socket(AF_INET, SOCK_STREAM, &port);
	struct stat st;
	long inode;

	(void)state;
	assert_int_equal(procfs_inet_inode(AF_INET, SOCK_STREAM, port),
	                 0); /* bound, not listening */
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(fstat(fd, &st), 0);
	inode = procfs_inet_inode(AF_INET, SOCK_STREAM, port);
	assert_int_equal(inode, (long)st.st_ino);
	assert_int_equal(procfs_inet_inode(AF_INET, 0, port), inode); /* either type */
	assert_int_equal(procfs_holds_socket(getpid(), (unsigned long)inode), 1);
	assert_int_equal(procfs_holds_socket(getppid(), (unsigned long)inode), 0);
	close(fd);
	assert_int_equal(procfs_inet_inode(AF_INET, SOCK_STREAM, port), 0);
}

/* This process descends from its parent, not from itself or a child. */
static void test_procfs_processes_and_descent(void **state)
{
	struct procfs_proc *all = NULL;
	size_t n = 0, me = 0, parent = 0;
	char *mine;

	(void)state;
	assert_int_equal(procfs_processes(&all, &n), 0);
	for (me = 0; me < n && all[me].pid != getpid(); me++)
		;
	assert_true(me < n);
	assert_int_equal(all[me].ppid, getppid());
	for (parent = 0; parent < n && all[parent].pid != getppid(); parent++)
		;
	assert_true(parent < n);
	assert_non_null(mine = malloc(n));
	procfs_mark_descendants(all, n, getppid(), mine);
	assert_int_equal(mine[me], 1);     /* a child of the root */
	assert_int_equal(mine[parent], 0); /* not the root itself */
	procfs_mark_descendants(all, n, getpid(), mine);
	assert_int_equal(mine[me], 0);
	assert_int_equal(mine[parent], 0); /* nor its parent */
	free(mine);
	free(all);
}

static void test_procfs_inet_bound_live(void **state)
{
	uint16_t port;
	int fd;

	(void)state;
	fd = bound_socket(AF_INET, SOCK_STREAM, &port);
	assert_int_equal(procfs_inet_bound(AF_INET, SOCK_STREAM, port), 0); /* bound only */
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(procfs_inet_bound(AF_INET, SOCK_STREAM, port), 1);
	assert_int_equal(procfs_inet_bound(AF_INET6, SOCK_STREAM, port), 0); /* not on ::1 */
	close(fd);
	fd = bound_socket(AF_INET6, SOCK_STREAM, &port);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(procfs_inet_bound(AF_INET6, SOCK_STREAM, port), 1);
	close(fd);
	fd = bound_socket(AF_INET, SOCK_DGRAM, &port);
	assert_int_equal(procfs_inet_bound(AF_INET, SOCK_DGRAM, port), 1);
	assert_int_equal(procfs_inet_bound(AF_INET, SOCK_STREAM, port), 0);
	close(fd);
}

static void test_procfs_unix_bound_live(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/procfs-test-XXXXXX";
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s b.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(procfs_unix_bound(sun.sun_path, SOCK_STREAM), 0);
	assert_int_equal(procfs_unix_bound(sun.sun_path, SOCK_DGRAM), 1); /* listed at all */
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(procfs_unix_bound(sun.sun_path, SOCK_STREAM), 1);
	close(fd);
	assert_int_equal(procfs_unix_bound(sun.sun_path, SOCK_DGRAM), 0);
	unlink(sun.sun_path);
	rmdir(dir);
}

static void test_procfs_counts_live(void **state)
{
	pid_t child;
	int status;

	(void)state;
	assert_true(procfs_fd_count(getpid()) >= 3);
	assert_true(procfs_thread_count(getpid()) >= 1);
	assert_int_equal(procfs_child_count(getpid()), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(procfs_child_count(getpid()), 1);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(procfs_child_count(getpid()), 0);
	assert_int_equal(procfs_fd_count(child), -ENOENT);
	assert_int_equal(procfs_thread_count(child), -ENOENT);
	assert_int_equal(procfs_map_count(child), -ENOENT);
}

/* Five pages, every other one made writable, are five mappings (lines
 * of /proc/PID/maps) where there were none; unmapped, the count is back
 * where it was. (The first and last could merge with a neighbour: at
 * least four.) */
static void test_procfs_map_count(void **state)
{
	long page = sysconf(_SC_PAGESIZE), base = procfs_map_count(getpid());
	uint8_t *m;

	(void)state;
	assert_true(base > 4); /* the binary, libc, the stack, the heap... */
	m = mmap(NULL, (size_t)page * 5, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + page, (size_t)page, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(mprotect(m + 3 * page, (size_t)page, PROT_READ | PROT_WRITE), 0);
	assert_true(procfs_map_count(getpid()) >= base + 4);
	assert_int_equal(munmap(m, (size_t)page * 5), 0);
	assert_int_equal(procfs_map_count(getpid()), base);
}

/* A child that exited is seen as such before anyone reaps it. */
static void test_procfs_exit_status_of_a_zombie(void **state)
{
	int ws = -1, rc = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(procfs_exit_status(getpid(), &ws), 0); /* running */
	assert_int_equal(ws, -1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(7);
	for (int i = 0; i < 2000 && (rc = procfs_exit_status(pid, &ws)) != 1; i++)
		(void)nanosleep(&(struct timespec){0, 1000000}, NULL);
	assert_int_equal(rc, 1);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 7);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(procfs_exit_status(pid, &ws), 0); /* reaped: gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_procfs_parse_tcp_row),
	    cmocka_unit_test(test_procfs_exit_status_of_a_zombie),
	    cmocka_unit_test(test_procfs_parse_tcp6_and_udp_rows),
	    cmocka_unit_test(test_procfs_parse_unix_rows),
	    cmocka_unit_test(test_procfs_parse_stat_ppid),
	    cmocka_unit_test(test_procfs_parse_stat),
	    cmocka_unit_test(test_procfs_inode_of_live_socket),
	    cmocka_unit_test(test_procfs_processes_and_descent),
	    cmocka_unit_test(test_procfs_inet_bound_live),
	    cmocka_unit_test(test_procfs_unix_bound_live),
	    cmocka_unit_test(test_procfs_counts_live),
	    cmocka_unit_test(test_procfs_map_count),
	};

	alarm(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
