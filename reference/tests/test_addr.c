/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of addr (addr.h): parsing the address forms users type
 * (IPv4, IPv6 bare or bracketed, with or without a port, "localhost",
 * "unix:/path") into the exact sockaddr bytes, formatting them back so
 * that what a server prints is what the runner accepts, the exact error
 * messages for malformed input, the strict decimal port parser, and the
 * family/port accessors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "addr.h"

#define ERR_SIZE 512 /* room for any message the tests provoke */

/* Parses text that must be valid; returns the result. */
static struct addr parse_ok(const char *text, uint16_t default_port)
{
	struct addr a;
	char err[ERR_SIZE] = "";

	if (addr_parse(text, default_port, &a, err, sizeof(err)) != 0)
		fail_msg("addr_parse(\"%s\"): expected 0, got -1: %s", text, err);
	return a;
}

/* Parses text that must be rejected with exactly want in err. */
static void expect_parse_error(const char *text, const char *want)
{
	struct addr a;
	char err[ERR_SIZE];

	memset(err, 0, sizeof(err));
	assert_int_equal(addr_parse(text, 8088, &a, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void expect_ipv4(const struct addr *a, const char *ip, uint16_t port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	struct in_addr want;

	assert_int_equal(inet_pton(AF_INET, ip, &want), 1);
	assert_int_equal(addr_family(a), AF_INET);
	assert_int_equal(a->len, sizeof(struct sockaddr_in));
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(sin->sin_port, htons(port));
	assert_memory_equal(&sin->sin_addr, &want, sizeof(want));
	assert_int_equal(addr_port(a), port);
}

static void expect_ipv6(const struct addr *a, const char *ip, uint16_t port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	struct in6_addr want;

	assert_int_equal(inet_pton(AF_INET6, ip, &want), 1);
	assert_int_equal(addr_family(a), AF_INET6);
	assert_int_equal(a->len, sizeof(struct sockaddr_in6));
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(sin6->sin6_port, htons(port));
	assert_memory_equal(&sin6->sin6_addr, &want, sizeof(want));
	assert_int_equal(addr_port(a), port);
}

static void test_addr_parse_ipv4(void **state)
{
	struct addr a;

	(void)state;
	a = parse_ok("127.0.0.1", 8088);
	expect_ipv4(&a, "127.0.0.1", 8088);
	a = parse_ok("127.0.0.1:8088", 1);
	expect_ipv4(&a, "127.0.0.1", 8088);
	a = parse_ok("10.1.2.3:0", 8088);
	expect_ipv4(&a, "10.1.2.3", 0);
	a = parse_ok("0.0.0.0:65535", 8088);
	expect_ipv4(&a, "0.0.0.0", 65535);
}

static void test_addr_parse_ipv6(void **state)
{
	struct addr a;

	(void)state;
	a = parse_ok("::1", 8088);
	expect_ipv6(&a, "::1", 8088);
	a = parse_ok("[::1]", 8088);
	expect_ipv6(&a, "::1", 8088);
	a = parse_ok("[::1]:8088", 1);
	expect_ipv6(&a, "::1", 8088);
	a = parse_ok("2001:db8::42", 7);
	expect_ipv6(&a, "2001:db8::42", 7);
	a = parse_ok("[2001:db8::42]:0", 7);
	expect_ipv6(&a, "2001:db8::42", 0);
}

static void test_addr_parse_localhost(void **state)
{
	struct addr a;

	(void)state;
	a = parse_ok("localhost", 8088);
	expect_ipv4(&a, "127.0.0.1", 8088);
	a = parse_ok("localhost:9", 8088);
	expect_ipv4(&a, "127.0.0.1", 9);
}

static void test_addr_parse_unix(void **state)
{
	const struct sockaddr_un *sun;
	struct addr a;

	(void)state;
	a = parse_ok("unix:/tmp/x.sock", 8088);
	sun = (const struct sockaddr_un *)&a.ss;
	assert_int_equal(addr_family(&a), AF_UNIX);
	assert_int_equal(sun->sun_family, AF_UNIX);
	assert_string_equal(sun->sun_path, "/tmp/x.sock");
	assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) + sizeof("/tmp/x.sock"));
	assert_int_equal(addr_port(&a), 0);
}

static void test_addr_format_round_trips(void **state)
{
	static const char *const texts[] = {"[::1]:8088", "127.0.0.1:0", "unix:/tmp/x.sock",
	                                    "[2001:db8::1]:65535", "192.168.1.254:80"};
	char out[ADDR_TEXT_MAX];
	struct addr a, again;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		a = parse_ok(texts[i], 1234);
		memset(out, 'Z', sizeof(out));
		assert_ptr_equal(addr_format(&a, out, sizeof(out)), out);
		assert_string_equal(out, texts[i]);
		/* What one side prints, the other side parses to the same bytes. */
		again = parse_ok(out, 4321);
		assert_int_equal(again.len, a.len);
		assert_memory_equal(&again.ss, &a.ss, a.len);
	}
	/* Forms without a port gain the default one. */
	a = parse_ok("::1", 8088);
	assert_string_equal(addr_format(&a, out, sizeof(out)), "[::1]:8088");
	a = parse_ok("localhost", 80);
	assert_string_equal(addr_format(&a, out, sizeof(out)), "127.0.0.1:80");
}

static void test_addr_format_from_sockaddr(void **state)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct addr a;
	char out[ADDR_TEXT_MAX];

	(void)state;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr), 1);
	addr_from_sockaddr(&a, (const struct sockaddr *)&sin6, sizeof(sin6));
	assert_int_equal(a.len, sizeof(sin6));
	assert_string_equal(addr_format(&a, out, sizeof(out)), "[fe80::1]:40000");

	/* An unbound Unix socket reports only its family. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	addr_from_sockaddr(&a, (const struct sockaddr *)&sun, sizeof(sa_family_t));
	assert_string_equal(addr_format(&a, out, sizeof(out)), "unix:(unnamed)");
}

static void test_addr_parse_errors_exact_messages(void **state)
{
	(void)state;
	expect_parse_error("[::1", "bad address \"[::1\": expected [IPV6] or [IPV6]:PORT");
	expect_parse_error("[::1]x", "bad address \"[::1]x\": expected [IPV6] or [IPV6]:PORT");
	expect_parse_error("1.2.3.4:99999",
	                   "bad port in \"1.2.3.4:99999\": expected a number from 0 to 65535");
	expect_parse_error("[::1]:65536",
	                   "bad port in \"[::1]:65536\": expected a number from 0 to 65535");
	expect_parse_error("127.0.0.1:",
	                   "bad port in \"127.0.0.1:\": expected a number from 0 to 65535");
	expect_parse_error("nothost", "bad address \"nothost\": expected an IPv4 or IPv6 "
	                              "address, [IPV6]:PORT or unix:PATH");
	expect_parse_error("1.2.3.4.5:80", "bad address \"1.2.3.4.5:80\": expected an IPv4 or "
	                                   "IPv6 address, [IPV6]:PORT or unix:PATH");
	expect_parse_error("", "bad address \"\": expected an IPv4 or IPv6 address, "
	                       "[IPV6]:PORT or unix:PATH");
	expect_parse_error("unix:", "bad unix socket path \"\": must be 1 to 107 bytes");
}

static void test_addr_parse_unix_path_length(void **state)
{
	char text[5 + 200 + 1], want[ERR_SIZE];
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	struct addr a;

	(void)state;
	assert_int_equal(max, 107);
	/* "unix:" + 107 'p': the longest path that fits, NUL included. */
	memcpy(text, "unix:", 5);
	memset(text + 5, 'p', max);
	text[5 + max] = '\0';
	a = parse_ok(text, 0);
	assert_int_equal(addr_family(&a), AF_UNIX);
	assert_int_equal(a.len, sizeof(struct sockaddr_un));
	assert_string_equal(((struct sockaddr_un *)&a.ss)->sun_path, text + 5);

	/* "unix:" + 108 'p': one byte too long. */
	text[5 + max] = 'p';
	text[5 + max + 1] = '\0';
	snprintf(want, sizeof(want), "bad unix socket path \"%s\": must be 1 to 107 bytes",
	         text + 5);
	expect_parse_error(text, want);
}

static void test_addr_parse_long_host_rejected(void **state)
{
	char text[201], want[ERR_SIZE];

	(void)state;
	/* 200 '1': longer than any host buffer. */
	memset(text, '1', 200);
	text[200] = '\0';
	snprintf(want, sizeof(want),
	         "bad address \"%s\": expected an IPv4 or IPv6 address, [IPV6]:PORT or unix:PATH",
	         text);
	expect_parse_error(text, want);
}

static void test_addr_parse_error_truncated_to_errlen(void **state)
{
	struct addr a;
	char err[8];

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(addr_parse("nothost", 1, &a, err, sizeof(err)), -1);
	assert_string_equal(err, "bad add");
}

static void test_addr_parse_port_edges(void **state)
{
	static const char *const bad[] = {"",      "-1", "65536", "12a", "000001",
	                                  "99999", " 1", "1 ",    "+1",  "0x10"};
	uint16_t port;
	size_t i;

	(void)state;
	port = 7;
	assert_int_equal(addr_parse_port("0", &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(addr_parse_port("65535", &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(addr_parse_port("8088", &port), 0);
	assert_int_equal(port, 8088);
	assert_int_equal(addr_parse_port("00001", &port), 0);
	assert_int_equal(port, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		port = 4242;
		if (addr_parse_port(bad[i], &port) != -1)
			fail_msg("addr_parse_port(\"%s\"): expected -1, got 0 (port %u)", bad[i],
			         port);
		assert_int_equal(port, 4242);
	}
	assert_int_equal(addr_parse_port(NULL, &port), -1);
}

static void test_addr_set_port_and_port(void **state)
{
	struct addr a;

	(void)state;
	a = parse_ok("127.0.0.1", 0);
	assert_int_equal(addr_port(&a), 0);
	addr_set_port(&a, 54321);
	assert_int_equal(addr_port(&a), 54321);
	assert_int_equal(((struct sockaddr_in *)&a.ss)->sin_port, htons(54321));
	expect_ipv4(&a, "127.0.0.1", 54321);

	a = parse_ok("[::1]:1", 0);
	addr_set_port(&a, 65535);
	expect_ipv6(&a, "::1", 65535);

	/* No effect on a Unix address: the path is untouched. */
	a = parse_ok("unix:/tmp/x.sock", 0);
	addr_set_port(&a, 80);
	assert_int_equal(addr_port(&a), 0);
	assert_string_equal(((struct sockaddr_un *)&a.ss)->sun_path, "/tmp/x.sock");
}

static void test_addr_family(void **state)
{
	struct addr a;

	(void)state;
	a = parse_ok("1.2.3.4", 1);
	assert_int_equal(addr_family(&a), AF_INET);
	a = parse_ok("::", 1);
	assert_int_equal(addr_family(&a), AF_INET6);
	a = parse_ok("unix:/x", 1);
	assert_int_equal(addr_family(&a), AF_UNIX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse_ipv4),
	    cmocka_unit_test(test_addr_parse_ipv6),
	    cmocka_unit_test(test_addr_parse_localhost),
	    cmocka_unit_test(test_addr_parse_unix),
	    cmocka_unit_test(test_addr_format_round_trips),
	    cmocka_unit_test(test_addr_format_from_sockaddr),
	    cmocka_unit_test(test_addr_parse_errors_exact_messages),
	    cmocka_unit_test(test_addr_parse_unix_path_length),
	    cmocka_unit_test(test_addr_parse_long_host_rejected),
	    cmocka_unit_test(test_addr_parse_error_truncated_to_errlen),
	    cmocka_unit_test(test_addr_parse_port_edges),
	    cmocka_unit_test(test_addr_set_port_and_port),
	    cmocka_unit_test(test_addr_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
