/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the case-language lexer and parser (lex.h, parse.h) on
 * bad input: every error message is compared exactly, with its line and
 * column, table by table (header, lexical, statements, transports, data,
 * blocks); then a table of malformed inputs plus every prefix and many
 * one-byte mutations of a rich case must fail cleanly or parse. Run under
 * ASan/LSan, that also proves no error path leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parse_check.h"

/* ---- errors ---- */

struct bad {
	const char *src; /* the case file */
	const char *err; /* the exact message */
};

static void check_errors(const struct bad *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		parse_fails(cases[i].src, cases[i].err);
}

static void test_parse_errors_header(void **state)
{
	static const struct bad cases[] = {
	    {"",
	     NAME ":1:1: missing case header: the first statement must be \"case FAMILY/NAME\""},
	    {"# only a comment\n\n",
	     NAME ":1:1: missing case header: the first statement must be \"case FAMILY/NAME\""},
	    {"\n  connect c\ncase basic/x\n",
	     NAME ":2:3: missing case header: the first statement must be \"case FAMILY/NAME\""},
	    {"case\n", NAME ":1:5: expected FAMILY/NAME (like basic/echo-once) after \"case\""},
	    {"case \"basic/x\"\n",
	     NAME ":1:6: expected FAMILY/NAME (like basic/echo-once), got \"basic/x\""},
	    {"case basic\n", NAME ":1:6: bad case id \"basic\": expected FAMILY/NAME"},
	    {"case nope/x\n", NAME ":1:6: unknown family \"nope\": use basic, partial-recv, "
	                           "framing, concurrency, exit, reuse, limits or resources"},
	    {"case basic/Big\n", NAME ":1:12: bad case name \"Big\": use lowercase letters, "
	                              "digits and -, starting with a letter or digit"},
	    {"case basic/\n",
	     NAME ":1:12: bad case name \"\": use lowercase letters, digits and -, "
	          "starting with a letter or digit"},
	    {"case basic/-x\n", NAME ":1:12: bad case name \"-x\": use lowercase letters, digits "
	                             "and -, starting with a letter or digit"},
	    {"case basic/a/b\n", NAME ":1:12: bad case name \"a/b\": use lowercase letters, digits "
	                              "and -, starting with a letter or digit"},
	    {"case basic/x extra\n", NAME ":1:14: unexpected \"extra\" after the case statement"},
	    {HDR "case basic/y\n", NAME ":2:1: \"case\" may appear only once"},
	    {HDR "sleep 1s\ncase basic/y\n", NAME ":3:1: \"case\" may appear only once"},
	    {HDR "description \"a\"\ndescription \"b\"\n",
	     NAME ":3:1: \"description\" may appear only once"},
	    {HDR "description\n", NAME ":2:12: expected a string after \"description\""},
	    {HDR "description hex \"41\"\n", NAME ":2:13: expected a string, got \"hex\""},
	    {HDR "description \"two\\nlines\"\n",
	     NAME ":2:17: control byte 0x0a in description: it must be one line"},
	    {HDR "description \"a\\0\"\n",
	     NAME ":2:15: control byte 0x00 in description: it must be one line"},
	    {HDR "description \"run ${i}\"\n", NAME ":2:18: ${i} outside parallel/repeat"},
	    {HDR "description \"a\" \"b\"\n",
	     NAME ":2:17: unexpected \"b\" after the description statement"},
	    {HDR "requires\n", NAME ":2:9: expected launched or framing line|chunk after "
	                            "\"requires\""},
	    {HDR "requires root\n", NAME ":2:10: unknown requirement \"root\": use launched, "
	                                 "framing line or framing chunk"},
	    {HDR "requires framing\n", NAME ":2:17: expected line or chunk after \"framing\""},
	    {HDR "requires framing crlf\n", NAME ":2:18: expected line or chunk, got \"crlf\""},
	    {HDR "requires framing line\nrequires framing chunk\n",
	     NAME ":3:18: requires framing chunk conflicts with framing line required earlier"},
	    {HDR "requires launched now\n",
	     NAME ":2:19: unexpected \"now\" after the requires statement"},
	    {HDR "timeout 1s\ntimeout 2s\n", NAME ":3:1: \"timeout\" may appear only once"},
	    {HDR "timeout\n", NAME ":2:8: expected a duration (like 250ms, 2s or 1min) after "
	                           "\"timeout\""},
	    {HDR "timeout 10\n", NAME ":2:9: \"10\" is not a duration: add a unit (ms, s or min)"},
	    {HDR "timeout 0ms\n", NAME ":2:9: timeout must be longer than 0ms"},
	    {HDR "timeout \"1s\"\n",
	     NAME ":2:9: expected a duration (like 250ms, 2s or 1min), got \"1s\""},
	    {HDR "connect c\ntimeout 1s\n",
	     NAME ":3:1: header statement \"timeout\" must come before the first step"},
	    {HDR "sleep 1s\ndescription \"x\"\n",
	     NAME ":3:1: header statement \"description\" must come before the first step"},
	    {HDR "parallel 2\n requires launched\nend\n",
	     NAME ":3:2: header statement \"requires\" must come before the first step"},
	};

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_errors_lexical(void **state)
{
	static const struct bad cases[] = {
	    {HDR "sleep 1s !\n", NAME ":2:10: unexpected character \"!\""},
	    {HDR "sleep 1s <\n", NAME ":2:10: unexpected character \"<\""},
	    {HDR "sleep 1s\xc3\xa9\n", NAME ":2:9: unexpected byte 0xc3"},
	    {HDR "sleep\r1s\n", NAME ":2:6: unexpected byte 0x0d"},
	    {HDR "connect c\nwrite c \"a\"\"b\"\n", NAME ":3:12: missing space before '\"'"},
	    {HDR "connect c\nwrite c \"a\" *3\n", NAME ":3:14: missing space before \"3\""},
	    {HDR "connect c\nwrite c \"a\"* 3\n", NAME ":3:12: missing space before \"*\""},
	    {HDR "sleep 1s-\n", NAME ":2:9: unexpected character \"-\""},
	    {HDR "sleep 2h\n", NAME ":2:7: unknown unit \"h\" in \"2h\": use ms, s or min"},
	    {HDR "sleep 5sec\n", NAME ":2:7: unknown unit \"sec\" in \"5sec\": use ms, s or min"},
	    {HDR "sleep 1.5\n", NAME ":2:7: \"1.5\" needs a unit: ms, s or min"},
	    {HDR "sleep 1.s\n", NAME ":2:7: bad number \"1.s\""},
	    {HDR "sleep 1.5.2s\n", NAME ":2:7: bad number \"1.5.2s\""},
	    {HDR "sleep 0x10\n", NAME ":2:7: bad number \"0x10\""},
	    {HDR "sleep 1e3ms\n", NAME ":2:7: bad number \"1e3ms\""},
	    {HDR "sleep 61min\n", NAME ":2:7: duration \"61min\" is longer than 1 hour"},
	    {HDR "sleep 3600001ms\n", NAME ":2:7: duration \"3600001ms\" is longer than 1 hour"},
	    {HDR "sleep 3600.0005s\n", NAME ":2:7: duration \"3600.0005s\" is longer than 1 hour"},
	    {HDR "sleep 99999999999999999999999ms\n",
	     NAME ":2:7: duration \"99999999999999999999999ms\" is longer than 1 hour"},
	    {HDR "expect exit 18446744073709551616\n",
	     NAME ":2:13: integer \"18446744073709551616\" is too large"},
	    {HDR "expect exit 18446744073709551615\n",
	     NAME ":2:13: exit status 18446744073709551615 is out of range 0..255"},
	    {HDR "connect c\nwrite c \"abc\n", NAME ":3:9: unterminated string"},
	    {HDR "connect c\nwrite c \"abc\\\"\n", NAME ":3:9: unterminated string"},
	    {HDR "connect c\nwrite c \"abc\\", NAME ":3:9: unterminated string"},
	    {HDR "connect c\nwrite c \"a\\qb\"\n", NAME ":3:11: unknown escape \"\\q\""},
	    {HDR "connect c\nwrite c \"\\u00e9\"\n", NAME ":3:10: unknown escape \"\\u\""},
	    {HDR "connect c\nwrite c \"\\\x01\"\n",
	     NAME ":3:10: unknown escape: \"\\\" followed by byte 0x01"},
	    {HDR "connect c\nwrite c \"\\x4\"\n", NAME ":3:10: \\x needs exactly two hex digits"},
	    {HDR "connect c\nwrite c \"\\xg1\"\n", NAME ":3:10: \\x needs exactly two hex digits"},
	    {HDR "connect c\nwrite c \"\\x", NAME ":3:10: \\x needs exactly two hex digits"},
	    {HDR "connect c\nwrite c \"cost: $5\"\n",
	     NAME ":3:16: \"$\" must start ${i} or ${NAME} (write \\$ for a dollar sign)"},
	    {HDR "connect c\nwrite c \"${j}\"\n",
	     NAME ":3:10: unknown variable \"j\": capture it first with a named group, like regex "
	          "\"(?<j>[0-9]+)\""},
	    {HDR "connect c\nwrite c \"${-j}\"\n",
	     NAME ":3:10: \"$\" must start ${i} or ${NAME} (write \\$ for a dollar sign)"},
	    {HDR "connect c\nwrite c \"${i\"\n",
	     NAME ":3:10: \"$\" must start ${i} or ${NAME} (write \\$ for a dollar sign)"},
	    {HDR "connect c\nwrite c \"a\x01\"\n",
	     NAME ":3:11: control byte 0x01 in a string (write \\x01)"},
	    {HDR "connect c\nwrite c \"a\r\"\n",
	     NAME ":3:11: control byte 0x0d in a string (write \\x0d)"},
	    {HDR "connect c\nwrite c \"\x7f\"\n",
	     NAME ":3:10: control byte 0x7f in a string (write \\x7f)"},
	};

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
	/* A NUL byte outside and inside a string. */
	parse_fails_n(LIT(HDR "sleep\0 1s\n"), NAME ":2:6: unexpected byte 0x00");
	parse_fails_n(LIT(HDR "connect c\nwrite c \"a\0\"\n"),
	              NAME ":3:11: control byte 0x00 in a string (write \\x00)");
}

static void test_parse_errors_statements(void **state)
{
	static const struct bad cases[] = {
	    {HDR "frobnicate c\n", NAME ":2:1: unknown statement \"frobnicate\""},
	    {HDR "\"write\" c\n", NAME ":2:1: unknown statement \"write\""},
	    {HDR "  42\n", NAME ":2:3: unknown statement \"42\""},
	    {HDR "connect\n", NAME ":2:8: expected a connection name after \"connect\""},
	    {HDR "connect 7\n", NAME ":2:9: expected a connection name, got \"7\""},
	    {HDR "connect Big\n", NAME ":2:9: bad connection name \"Big\": use a lowercase "
	                               "letter, then lowercase letters, digits or _"},
	    {HDR "connect _a\n", NAME ":2:9: bad connection name \"_a\": use a lowercase letter, "
	                              "then lowercase letters, digits or _"},
	    {HDR "connect a-b\n", NAME ":2:9: bad connection name \"a-b\": use a lowercase letter, "
	                               "then lowercase letters, digits or _"},
	    {HDR "connect abcdefghijklmnopqrstuvwxyz012345\n",
	     NAME ":2:9: connection name \"abcdefghijklmnopqrstuvwxyz012345\" is longer than 31 "
	          "bytes"},
	    {HDR "connect eof\n", NAME ":2:9: \"eof\" is a reserved word, not a connection name"},
	    {HDR "connect no-datagram\n",
	     NAME ":2:9: bad connection name \"no-datagram\": use a "
	          "lowercase letter, then lowercase letters, digits or _"},
	    {HDR "connect c sctp\n",
	     NAME ":2:11: unknown transport \"sctp\": use tcp, udp or unix"},
	    {HDR "connect c udp rcvbuf 4096\n",
	     NAME ":2:15: rcvbuf is for a stream connection, not udp"},
	    {HDR "connect c rcvbuf\n", NAME ":2:17: expected a receive buffer size in bytes after \"rcvbuf\""},
	    {HDR "connect c rcvbuf 0\n", NAME ":2:18: rcvbuf 0 is out of range 1..1073741823"},
	    {HDR "connect c rcvbuf 4096 tcp\n",
	     NAME ":2:23: unexpected \"tcp\" after the connect statement"},
	    {HDR "connect c tcp now\n",
	     NAME ":2:15: unexpected \"now\" after the connect statement"},
	    {HDR "connect c \"x\"\n", NAME ":2:11: unexpected \"x\" after the connect statement"},
	    {HDR "write c2 \"x\"\n", NAME ":2:7: unknown connection \"c2\": connect it first"},
	    {HDR "close line\n", NAME ":2:7: \"line\" is a reserved word, not a connection name"},
	    {HDR "connect c\nclose c now\n",
	     NAME ":3:9: unexpected \"now\" after the close statement"},
	    {HDR "connect c\nwrite c\n",
	     NAME ":3:8: expected data (a string, hex \"...\" or range A B) after \"c\""},
	    {HDR "connect c\nwrite c split 1\n",
	     NAME ":3:9: expected data (a string, hex \"...\" or range A B), got \"split\""},
	    {HDR "connect c\nwrite c \"x\" fast\n",
	     NAME ":3:13: unexpected \"fast\" after the write statement"},
	    {HDR "connect c\nwrite c \"x\" split\n",
	     NAME ":3:18: expected a piece size or \"random\" after \"split\""},
	    {HDR "connect c\nwrite c \"x\" split 0\n", NAME ":3:19: split size must be at least 1"},
	    {HDR "connect c\nwrite c \"x\" split random max 0\n",
	     NAME ":3:30: largest piece size must be at least 1"},
	    {HDR "connect c\nwrite c \"x\" split random max\n",
	     NAME ":3:29: expected a largest piece size after \"max\""},
	    {HDR "connect c\nwrite c \"x\" split 1 split 2\n", NAME ":3:21: \"split\" given twice"},
	    {HDR "connect c\nwrite c \"x\" gap 1ms split 1 gap 2ms\n",
	     NAME ":3:29: \"gap\" given twice"},
	    {HDR "connect c\nwrite c \"x\" gap 5\n",
	     NAME ":3:17: \"5\" is not a duration: add a unit (ms, s or min)"},
	    {HDR "connect c\nsend c \"x\" split 1\n",
	     NAME ":3:12: unexpected \"split\" after the send statement"},
	    {HDR "connect c\nexpect c\n",
	     NAME ":3:9: expected data or line, regex, timestamp, any, nothing, eof, reset, "
	          "closed, refused, datagram or no-datagram after \"c\""},
	    {HDR "connect c\nexpect c bytes \"x\"\n",
	     NAME ":3:10: expected data or line, regex, timestamp, any, nothing, eof, reset, "
	          "closed, refused, datagram or no-datagram, got \"bytes\""},
	    {HDR "expect\n", NAME ":2:7: expected a connection name, exit, second-instance, fds, "
	                          "threads, children, rss or mappings after \"expect\""},
	    {HDR "expect \"x\"\n", NAME ":2:8: expected a connection name, exit, second-instance, "
	                                "fds, threads, children, rss or mappings, got \"x\""},
	    {HDR "expect c eof\n", NAME ":2:8: unknown connection \"c\": connect it first"},
	    {HDR "connect c\nexpect c line\n",
	     NAME ":3:14: expected data (a string, hex \"...\" or range A B) after \"line\""},
	    {HDR "connect c\nexpect c regex hex \"41\"\n",
	     NAME ":3:16: expected a regex string, got \"hex\""},
	    {HDR "connect c\nexpect c regex \"a\" * 2\n",
	     NAME ":3:20: unexpected \"*\" after the expect statement"},
	    {HDR "connect c\nexpect c nothing\n",
	     NAME ":3:17: expected \"for\" and a duration after \"nothing\""},
	    {HDR "connect c\nexpect c nothing within 1s\n",
	     NAME ":3:18: expected \"for\" and a duration, got \"within\""},
	    {HDR "connect c\nexpect c nothing for 1s within 1s\n",
	     NAME ":3:25: unexpected \"within\" after the expect statement"},
	    {HDR "connect c\nexpect c eof within\n",
	     NAME ":3:20: expected a duration (like 250ms, 2s or 1min) after \"within\""},
	    {HDR "connect c\nexpect c eof \"x\"\n",
	     NAME ":3:14: unexpected \"x\" after the expect statement"},
	    {HDR "connect c\nexpect c \"x\" within 1s within 2s\n",
	     NAME ":3:24: unexpected \"within\" after the expect statement"},
	    {HDR "sleep\n",
	     NAME ":2:6: expected a duration (like 250ms, 2s or 1min) after \"sleep\""},
	    {HDR "sleep 1\n", NAME ":2:7: \"1\" is not a duration: add a unit (ms, s or min)"},
	    {HDR "restart now\n", NAME ":2:9: unexpected \"now\" after the restart statement"},
	    {HDR "signal\n", NAME ":2:7: expected a signal (TERM, INT, HUP, KILL, USR1, USR2 or "
	                          "QUIT) after \"signal\""},
	    {HDR "signal 15\n", NAME ":2:8: expected a signal (TERM, INT, HUP, KILL, USR1, USR2 or "
	                             "QUIT), got \"15\""},
	    {HDR "signal term\n", NAME ":2:8: unknown signal \"term\": use TERM, INT, HUP, KILL, "
	                               "USR1, USR2 or QUIT"},
	    {HDR "signal SIG\n", NAME ":2:8: unknown signal \"SIG\": use TERM, INT, HUP, KILL, "
	                              "USR1, USR2 or QUIT"},
	    {HDR "signal SIGSEGV\n", NAME ":2:8: unknown signal \"SIGSEGV\": use TERM, INT, HUP, "
	                                  "KILL, USR1, USR2 or QUIT"},
	    {HDR "expect exit\n", NAME ":2:12: expected an exit status (0 to 255) or nonzero after "
	                               "\"exit\""},
	    {HDR "expect exit 256\n", NAME ":2:13: exit status 256 is out of range 0..255"},
	    {HDR "expect exit zero\n", NAME ":2:13: expected an exit status (0 to 255) or nonzero, "
	                                    "got \"zero\""},
	    {HDR "expect exit 0 1s\n", NAME ":2:15: unexpected \"1s\" after the expect statement"},
	    {HDR "expect second-instance\n", NAME ":2:23: expected \"fails\" after "
	                                          "\"second-instance\""},
	    {HDR "expect second-instance works\n", NAME ":2:24: expected \"fails\", got \"works\""},
	    {HDR "snapshot\n", NAME ":2:9: expected a snapshot name after \"snapshot\""},
	    {HDR "snapshot Base\n", NAME ":2:10: bad snapshot name \"Base\": use a lowercase "
	                                 "letter, then lowercase letters, digits or _"},
	    {HDR "snapshot fds\n", NAME ":2:10: \"fds\" is a reserved word, not a snapshot name"},
	    {HDR "expect fds base\n", NAME ":2:12: expected \"<=\", got \"base\""},
	    {HDR "expect fds <=\n", NAME ":2:14: expected a snapshot name after \"<=\""},
	    {HDR "expect fds <= base\n",
	     NAME ":2:15: unknown snapshot \"base\": take it first with \"snapshot base\""},
	    {HDR "expect threads <= base\nsnapshot base\n",
	     NAME ":2:19: unknown snapshot \"base\": take it first with \"snapshot base\""},
	    {HDR "snapshot base\nexpect fds <= base +\n",
	     NAME ":3:21: expected a slack count after \"+\""},
	    {HDR "snapshot base\nexpect fds <= base + 99999999999999999999\n",
	     NAME ":3:22: integer \"99999999999999999999\" is too large"},
	    {HDR "snapshot base\nexpect fds <= base + 9223372036854775808\n",
	     NAME ":3:22: slack 9223372036854775808 is too large"},
	    {HDR "snapshot base\nexpect children <= base 2\n",
	     NAME ":3:25: unexpected \"2\" after the expect statement"},
	};

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_errors_transports(void **state)
{
	static const struct bad cases[] = {
	    {HDR "connect t tcp\nsend t \"x\"\n", NAME ":3:6: send needs a udp connection"},
	    {HDR "connect s unix\nsend s \"x\"\n", NAME ":3:6: send needs a udp connection"},
	    {HDR "connect t tcp\nexpect t datagram \"x\"\n",
	     NAME ":3:8: expect datagram needs a udp connection"},
	    {HDR "connect t unix\nexpect t no-datagram for 1s\n",
	     NAME ":3:8: expect no-datagram needs a udp connection"},
	    {HDR "connect u udp\nwrite u \"x\"\n",
	     NAME ":3:7: write needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nshutdown u\n",
	     NAME ":3:10: shutdown needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\npause u\n",
	     NAME ":3:7: pause needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nresume u\n",
	     NAME ":3:8: resume needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u \"x\"\n",
	     NAME ":3:8: expect DATA needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u line \"x\"\n",
	     NAME ":3:8: expect line needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u regex \"x\"\n",
	     NAME ":3:8: expect regex needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u timestamp \"x\"\n",
	     NAME ":3:8: expect timestamp needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u eof\n",
	     NAME ":3:8: expect eof needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u reset\n",
	     NAME ":3:8: expect reset needs a stream connection (tcp or unix)"},
	    {HDR "connect u udp\nexpect u closed\n",
	     NAME ":3:8: expect closed needs a stream connection (tcp or unix)"},
	};
	struct plan *p;

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
	/* What udp does allow. */
	p = parse_ok(HDR "connect u udp\nclose u\nconnect u udp\nreset u\nconnect u udp\n"
	                 "expect u nothing for 1s\n");
	plan_free(p);
}

static void test_parse_errors_data(void **state)
{
	static const struct bad cases[] = {
	    {HDR "connect c\nwrite c \"${i}\"\n", NAME ":3:10: ${i} outside parallel/repeat"},
	    {HDR "connect c\nexpect c line \"ok ${i}\"\n",
	     NAME ":3:19: ${i} outside parallel/repeat"},
	    {HDR "connect c\nexpect c regex \"^${i}\\$\"\n",
	     NAME ":3:18: ${i} outside parallel/repeat"},
	    /* In a regex too, a bare $ must be written \$; it is checked first. */
	    {HDR "repeat 1\n connect c\n expect c regex \"^${i}$\"\nend\n",
	     NAME ":4:23: \"$\" must start ${i} or ${NAME} (write \\$ for a dollar sign)"},
	    {HDR "repeat 2\nend\nconnect c\nwrite c \"${i}\"\n",
	     NAME ":5:10: ${i} outside parallel/repeat"},
	    {HDR "connect c\nwrite c hex\n", NAME ":3:12: expected a string of hex digits after "
	                                          "\"hex\""},
	    {HDR "connect c\nwrite c hex 41\n",
	     NAME ":3:13: expected a string of hex digits, got \"41\""},
	    {HDR "connect c\nwrite c hex \"4\"\n",
	     NAME ":3:14: odd hex digit: hex bytes need two digits each"},
	    {HDR "connect c\nwrite c hex \"41 4\"\n",
	     NAME ":3:17: odd hex digit: hex bytes need two digits each"},
	    {HDR "connect c\nwrite c hex \"4 1\"\n",
	     NAME ":3:14: odd hex digit: hex bytes need two digits each"},
	    {HDR "connect c\nwrite c hex \"0x41\"\n", NAME ":3:15: bad hex digit \"x\""},
	    {HDR "connect c\nwrite c hex \"4g\"\n", NAME ":3:15: bad hex digit \"g\""},
	    {HDR "connect c\nwrite c hex \"41\\n\"\n", NAME ":3:16: bad hex digit: byte 0x0a"},
	    {HDR "repeat 2\n connect c\n write c hex \"${i}\"\nend\n",
	     NAME ":4:15: ${i} is not allowed in hex data"},
	    {HDR "connect c\nwrite c range\n",
	     NAME ":3:14: expected a byte value (0 to 255) after \"range\""},
	    {HDR "connect c\nwrite c range 1\n",
	     NAME ":3:16: expected a byte value (0 to 255) after \"1\""},
	    {HDR "connect c\nwrite c range 1 \"a\"\n",
	     NAME ":3:17: expected a byte value (0 to 255), got \"a\""},
	    {HDR "connect c\nwrite c range 256 300\n",
	     NAME ":3:15: byte 256 is out of range 0..255"},
	    {HDR "connect c\nwrite c range 0 256\n", NAME ":3:17: byte 256 is out of range 0..255"},
	    {HDR "connect c\nwrite c range 9 3\n",
	     NAME ":3:17: range 9 3 is backwards: A must not exceed B"},
	    {HDR "connect c\nwrite c \"a\" *\n", NAME ":3:14: expected a repeat count after \"*\""},
	    {HDR "connect c\nwrite c \"a\" * 0\n", NAME ":3:15: repeat count must be at least 1"},
	    {HDR "connect c\nwrite c \"a\" * \"b\"\n",
	     NAME ":3:15: expected a repeat count, got \"b\""},
	    {HDR "connect c\nwrite c \"a\" * 2 * 2\n",
	     NAME ":3:17: unexpected \"*\" after the write statement"},
	    {HDR "connect c\nwrite c * 2\n",
	     NAME ":3:9: expected data (a string, hex \"...\" or range A B), got \"*\""},
	    {HDR "connect c\nexpect c regex \"a(\"\n",
	     NAME ":3:19: bad regex: missing closing parenthesis"},
	    /* PCRE2's offset is mapped back through escapes: \x28 is one
	     * pattern byte but four source bytes; the end of the pattern is
	     * the closing quote. */
	    {HDR "connect c\nexpect c regex \"\\x28ab[\"\n",
	     NAME ":3:24: bad regex: missing terminating ] for character class"},
	    {HDR "connect c\nexpect c regex \"a)b\"\n",
	     NAME ":3:18: bad regex: unmatched closing parenthesis"},
	    {HDR "connect c\nexpect c regex \"x{2,1}\"\n",
	     NAME ":3:22: bad regex: numbers out of order in {} quantifier"},
	};

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_errors_blocks(void **state)
{
	static const struct bad cases[] = {
	    {HDR "end\n", NAME ":2:1: \"end\" without an open parallel, repeat or measure block"},
	    {HDR "repeat 2\nend\nend\n", NAME ":4:1: \"end\" without an open parallel, repeat "
	                                      "or measure block"},
	    {HDR "repeat 2\nend now\n", NAME ":3:5: unexpected \"now\" after the end statement"},
	    {HDR "measure lat\n", NAME ":2:1: measure block has no \"end\""},
	    {HDR "expect exit 0 or SEGV\n",
	     NAME ":2:18: unknown signal \"SEGV\": use TERM, INT, HUP, KILL, USR1, USR2 or QUIT"},
	    {HDR "expect exit nonzero or TERM\n",
	     NAME ":2:21: unexpected \"or\" after the expect statement"},
	    {HDR "measure\nend\n", NAME ":2:8: expected a duration name after \"measure\""},
	    {HDR "measure lat\n  parallel 2 within lat * 2\n  end\nend\n",
	     NAME ":3:21: unknown duration \"lat\": measure it first with \"measure lat\" ... "
	          "\"end\""},
	    {HDR "measure lat\nend\nparallel 2 within lat * 0\nend\n",
	     NAME ":4:25: factor 0 is out of range 1..1000"},
	    {HDR "measure lat\nend\nparallel 2 within lat\nend\n",
	     NAME ":4:22: expected \"*\" and a factor (like lat * 2) after \"lat\""},
	    {HDR "parallel 2 stagger 5\nend\n",
	     NAME ":2:20: \"5\" is not a duration: add a unit (ms, s or min)"},
	    {HDR "parallel 2 within 5ms stagger 1ms\nend\n",
	     NAME ":2:23: unexpected \"stagger\" after the parallel statement"},
	    {HDR "sleep 1s\n  parallel 2\n  sleep 1s\n",
	     NAME ":3:3: parallel block has no \"end\""},
	    {HDR "parallel 2\n  repeat 3\n    sleep 1s\n  end\n",
	     NAME ":2:1: parallel block has no \"end\""},
	    {HDR "parallel 2\n  repeat 3\n    sleep 1s\n",
	     NAME ":3:3: repeat block has no \"end\""},
	    {HDR "parallel\nend\n", NAME ":2:9: expected an instance count after \"parallel\""},
	    {HDR "parallel 0\nend\n", NAME ":2:10: parallel count 0 is out of range 1..100000"},
	    {HDR "parallel 100001\nend\n",
	     NAME ":2:10: parallel count 100001 is out of range 1..100000"},
	    {HDR "parallel 2 within 0ms\nend\n",
	     NAME ":2:19: parallel within must be longer than 0ms (leave it out for no limit)"},
	    {HDR "parallel 2 within\nend\n",
	     NAME ":2:18: expected a duration (like 250ms, 2s or 1min) after \"within\""},
	    {HDR "parallel 2 for 1s\nend\n",
	     NAME ":2:12: unexpected \"for\" after the parallel statement"},
	    {HDR "repeat 1000001\nend\n", NAME ":2:8: repeat count 1000001 is out of range "
	                                       "1..1000000"},
	    {HDR "repeat 2 within 1s\nend\n",
	     NAME ":2:10: unexpected \"within\" after the repeat statement"},
	    {HDR "repeat two\nend\n", NAME ":2:8: expected an instance count, got \"two\""},
	};

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_error_buffer_handling(void **state)
{
	static const char src[] = HDR "frobnicate\n";
	char small[12];
	struct plan *p = (struct plan *)&p;

	(void)state;
	/* A small buffer gets a truncated, terminated message. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(
	    parse_case(NAME, (const uint8_t *)src, strlen(src), &p, small, sizeof(small)), -1);
	assert_null(p);
	assert_string_equal(small, "t.case:2:1:");
	/* No buffer at all is allowed, and so is a NULL name. */
	p = (struct plan *)&p;
	assert_int_equal(parse_case(NAME, (const uint8_t *)src, strlen(src), &p, NULL, 0), -1);
	assert_null(p);
	assert_int_equal(
	    parse_case(NULL, (const uint8_t *)src, strlen(src), &p, small, sizeof(small)), -1);
	assert_string_equal(small, "<input>:2:1");
	/* NULL buffer with length 0 is an empty file. */
	assert_int_equal(parse_case(NAME, NULL, 0, &p, small, sizeof(small)), -1);
	/* Success leaves an empty message. */
	assert_int_equal(
	    parse_case(NAME, (const uint8_t *)HDR, strlen(HDR), &p, small, sizeof(small)), 0);
	assert_string_equal(small, "");
	plan_free(p);
}

static void test_parse_long_tokens_are_cut_in_messages(void **state)
{
	char src[400], want[200];

	(void)state;
	/* A 100-byte word is shown as its first 40 bytes and "...". */
	snprintf(src, sizeof(src), HDR "%0100d\n", 0);
	memset(src + strlen(HDR), 'w', 100);
	snprintf(want, sizeof(want), NAME ":2:1: unknown statement \"%.40s...\"",
	         "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww");
	parse_fails(src, want);
	/* Bytes outside printable ASCII are shown as \xHH. */
	parse_fails(HDR "connect c\nwrite c \"x\" \"\xff\x01\"\n",
	            NAME ":3:15: control byte 0x01 in a string (write \\x01)");
	parse_fails(HDR "connect c\nwrite c \"x\" split \"\xff\"\n",
	            NAME ":3:19: expected a piece size or \"random\", got \"\\xff\"");
}

/* ---- robustness ---- */

/* Every error returns -1, leaves *out NULL and a "t.case:L:C: " message. */
static void parse_any(const void *src, size_t n)
{
	struct plan *p = (struct plan *)&p;
	char err[PARSE_ERR_MAX] = "";
	int rc = parse_case(NAME, src, n, &p, err, sizeof(err));

	if (rc == 0) {
		assert_non_null(p);
		plan_free(p);
		return;
	}
	assert_int_equal(rc, -1);
	assert_null(p);
	assert_true(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
	assert_true(strlen(err) > strlen(NAME ":1:1: "));
}

/* Like parse_any(), and the input must be rejected. */
static void parse_rejected(const void *src, size_t n)
{
	struct plan *p = (struct plan *)&p;
	char err[PARSE_ERR_MAX] = "";

	if (parse_case(NAME, src, n, &p, err, sizeof(err)) != -1)
		print_message("accepted: %.*s\n", (int)n, (const char *)src);
	assert_null(p);
	parse_any(src, n);
}

static void test_parse_malformed_inputs_fail_cleanly(void **state)
{
	static const char *const srcs[] = {
	    "\"",
	    "case",
	    "case /",
	    "case basic/x\n\"",
	    "case basic/x\nconnect c\nwrite c \"\\",
	    "case basic/x\nconnect c\nwrite c \"\\x",
	    "case basic/x\nconnect c\nwrite c \"\\x4",
	    "case basic/x\nconnect c\nwrite c \"$",
	    "case basic/x\nconnect c\nwrite c \"${",
	    "case basic/x\nconnect c\nwrite c \"${i",
	    "case basic/x\nrepeat 2\n connect c\n write c \"${i}",
	    "case basic/x\nconnect c\nwrite c hex \"",
	    "case basic/x\nconnect c\nwrite c range 1",
	    "case basic/x\nconnect c\nwrite c \"a\" *",
	    "case basic/x\nconnect c\nexpect c regex \"(?<",
	    "case basic/x\nconnect c\nexpect c regex \"\\\\",
	    "case basic/x\nconnect c\nexpect c regex \"[[:foo:]]\"",
	    "case basic/x\nconnect c\nexpect c regex \"(((((((((((((((((((((((\"",
	    "case basic/x\nparallel 2\nparallel 2\nparallel 2",
	    "case basic/x\nexpect fds <",
	    "case basic/x\nexpect fds <= ",
	    "case basic/x\nsnapshot s\nexpect fds <= s + -1",
	    "case basic/x\n0",
	    "case basic/x\n0.",
	    "case basic/x\n1.5min2s",
	    "case basic/x\nsleep 0000000000000000000000000000000000000001ms extra",
	    "case basic/x\n\xef\xbb\xbfsleep 1s",
	    "\357\273\277case basic/x", /* a UTF-8 BOM is not allowed */
	    "case basic/x\r\r\n",
	    "case basic/x\nconnect c\nwrite c \"\xc3\x28\" \"\xed\xa0\x80\" split random max",
	    "case basic/x\n*\n",
	    "case basic/x\n<=\n",
	    "case basic/x\n+\n",
	    "case basic/x\nconnect c\nwrite c \"a\" * 1 split 1 gap",
	};
	static const char nuls[] = "\0\0\0case basic/x\0\nconnect\0c\n";
	char big[20000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
		parse_rejected(srcs[i], strlen(srcs[i]));
	parse_any(nuls, sizeof(nuls) - 1);
	for (i = 0; i < sizeof(nuls) - 1; i++)
		parse_any(nuls + i, sizeof(nuls) - 1 - i);
	/* Very deep nesting, a very long line of symbols, a huge string. */
	memset(big, 0, sizeof(big));
	strcpy(big, HDR);
	for (i = strlen(big); i + 12 < sizeof(big); i += 11)
		memcpy(big + i, "parallel 2\n", 11);
	parse_any(big, strlen(big));
	strcpy(big, HDR "connect c\nwrite c \"a\"");
	for (i = strlen(big); i + 4 < sizeof(big); i += 4)
		memcpy(big + i, " * 2", 4);
	parse_any(big, strlen(big));
	strcpy(big, HDR "connect c\nwrite c \"");
	memset(big + strlen(big), 'z', sizeof(big) - 100);
	parse_any(big, strlen(big));
}

/* A case that uses every statement; its prefixes and mutations exercise
 * the error paths of each one. */
static const char kitchen_sink[] =
    "# everything at once\n"
    "case resources/kitchen-sink\n"
    "description \"all the statements\"\n"
    "requires launched\n"
    "requires framing line\n"
    "timeout 30s\n"
    "connect c tcp\n"
    "connect u udp\n"
    "write c \"a\\x00\" hex \"41 42\" range 0 3 * 2 split random max 3 gap 1ms\n"
    "send u \"ping\"\n"
    "expect u datagram \"ping\" within 1s\n"
    "expect u no-datagram for 10ms\n"
    "expect c \"a\" within 1s\n"
    "expect c line \"ok\"\n"
    "expect c regex \"^\\\\[.*\\\\] (a|b)+\\n\" within 2s\n"
    "expect c timestamp \"hi\"\n"
    "expect c nothing for 100ms\n"
    "pause c\n"
    "resume c\n"
    "shutdown c\n"
    "expect c eof within 1s\n"
    "snapshot base\n"
    "parallel 10 within 5s\n"
    "  connect d\n"
    "  repeat 2\n"
    "    write d \"n=${i}\" * 2 split 1\n"
    "    expect d regex \"n=${i}\"\n"
    "  end\n"
    "  reset d\n"
    "end\n"
    "sleep 1.5s\n"
    "signal SIGTERM\n"
    "expect exit nonzero within 1s\n"
    "restart\n"
    "expect second-instance fails\n"
    "expect fds <= base + 2 within 3s\n"
    "expect threads <= base\n"
    "expect children <= base + 0\n"
    "close c\n"
    "expect c closed\n"
    "expect c reset\n";

static void test_parse_kitchen_sink_parses(void **state)
{
	struct plan *p = parse_ok_n(LIT(kitchen_sink));

	(void)state;
	assert_string_equal(p->id, "resources/kitchen-sink");
	assert_int_equal(p->family, PLAN_FAMILY_RESOURCES);
	assert_int_equal(p->nstmts, 28);
	assert_rendered(&p->stmts[2].data, 0, LIT("a\0AB\0\1\2\3\0\1\2\3"));
	assert_int_equal(p->stmts[2].split.kind, PLAN_SPLIT_RANDOM);
	assert_int_equal(p->stmts[2].split.size, 3);
	assert_int_equal(p->stmts[2].gap_ms, 1);
	assert_int_equal(p->stmts[16].op, PLAN_PARALLEL);
	assert_int_equal(p->stmts[16].body[1].op, PLAN_REPEAT);
	assert_rendered(&p->stmts[16].body[1].body[0].data, 5, LIT("n=5n=5"));
	plan_free(p);
}

static void test_parse_every_prefix_fails_cleanly_or_parses(void **state)
{
	size_t n;

	(void)state;
	for (n = 0; n <= sizeof(kitchen_sink) - 1; n++)
		parse_any(kitchen_sink, n);
}

static void test_parse_byte_mutations_fail_cleanly_or_parse(void **state)
{
	static const uint8_t subst[] = {0x00, '\n', '\r', '"',  '\\', '$', '{', '#', ' ', '*',
	                                '0',  'z',  0x80, 0xff, '\t', '<', '+', 'i', '}', '.'};
	uint8_t buf[sizeof(kitchen_sink)];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(kitchen_sink) - 1; i++) {
		for (k = 0; k < sizeof(subst); k++) {
			memcpy(buf, kitchen_sink, sizeof(kitchen_sink) - 1);
			buf[i] = subst[k];
			parse_any(buf, sizeof(kitchen_sink) - 1);
		}
		/* and with byte i deleted */
		memcpy(buf, kitchen_sink, i);
		memcpy(buf + i, kitchen_sink + i + 1, sizeof(kitchen_sink) - 2 - i);
		parse_any(buf, sizeof(kitchen_sink) - 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_errors_header),
	    cmocka_unit_test(test_parse_errors_lexical),
	    cmocka_unit_test(test_parse_errors_statements),
	    cmocka_unit_test(test_parse_errors_transports),
	    cmocka_unit_test(test_parse_errors_data),
	    cmocka_unit_test(test_parse_errors_blocks),
	    cmocka_unit_test(test_parse_error_buffer_handling),
	    cmocka_unit_test(test_parse_long_tokens_are_cut_in_messages),
	    cmocka_unit_test(test_parse_malformed_inputs_fail_cleanly),
	    cmocka_unit_test(test_parse_kitchen_sink_parses),
	    cmocka_unit_test(test_parse_every_prefix_fails_cleanly_or_parses),
	    cmocka_unit_test(test_parse_byte_mutations_fail_cleanly_or_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
