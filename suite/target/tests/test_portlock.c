/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of portlock (portlock.h): the range below the ephemeral
 * ports, and two lock holders (as two sockspec processes would be) never
 * getting the same port; a port something else has bound is passed over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portlock.h"

static void test_portlock_range(void **state)
{
	uint16_t lo = 0, hi = 0;

	(void)state;
	assert_int_equal(portlock_range("32768\t60999\n", &lo, &hi), 0);
	assert_int_equal(lo, 16384);
	assert_int_equal(hi, 32767);
	assert_int_equal(portlock_range("4000 65000", &lo, &hi), 0);
	assert_int_equal(lo, 2000);
	assert_int_equal(hi, 3999);
	assert_int_equal(portlock_range("3071 60999", &lo, &hi), -1); /* too few below */
	assert_int_equal(portlock_range("1024 65535", &lo, &hi), -1);
	assert_int_equal(portlock_range("60999 32768", &lo, &hi), -1);
	assert_int_equal(portlock_range("32768", &lo, &hi), -1);
	assert_int_equal(portlock_range("", &lo, &hi), -1);
}

static void test_portlock_two_holders(void **state)
{
	struct portlock a, b;
	uint16_t port = 0, other = 0;

	(void)state;
	portlock_init(&a);
	portlock_init(&b);
	assert_int_equal(portlock_pick(&a, AF_INET, SOCK_STREAM, &port), 0);
	assert_true(port >= 1024);
	assert_int_equal(portlock_try(&b, AF_INET, SOCK_STREAM, port), -EAGAIN);
	assert_int_equal(portlock_try(&b, AF_INET6, SOCK_DGRAM, port), -EAGAIN);
	assert_int_equal(portlock_pick(&a, AF_INET, SOCK_STREAM, &other), 0); /* frees port */
	assert_int_equal(portlock_try(&b, AF_INET, SOCK_STREAM, port), 0);
	assert_int_equal(portlock_try(&a, AF_INET, SOCK_STREAM, port), -EAGAIN);
	portlock_release(&b);
	assert_int_equal(portlock_try(&a, AF_INET, SOCK_STREAM, port), 0);
	portlock_release(&a);
	portlock_release(&a); /* twice is harmless */
}

static void test_portlock_bound_port_passed_over(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct portlock a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	portlock_init(&a);
	assert_int_equal(portlock_try(&a, AF_INET, SOCK_STREAM, ntohs(sin.sin_port)), -EADDRINUSE);
	assert_int_equal(a.port, 0); /* not kept */
	portlock_release(&a);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_portlock_range),
	    cmocka_unit_test(test_portlock_two_holders),
	    cmocka_unit_test(test_portlock_bound_port_passed_over),
	};

	alarm(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
