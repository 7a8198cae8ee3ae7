/* SPDX-License-Identifier: MIT */
/*
 * The protocol handlers of the seed servers. Each builds its reply
 * from a fixed prefix, the message and a fixed suffix; line framing adds
 * the LF that chunk and datagram framing leave out (PROTOCOLS.md: the
 * seeds' exact bytes in chunk framing).
 */
#include "proto.h"

#include <string.h>

/* Writes prefix + data + suffix (+ LF in line framing) into out. */
static int compose(const char *prefix, const struct proto_msg *msg, const char *suffix,
                   uint8_t *out, size_t cap, size_t *out_len)
{
	size_t plen = strlen(prefix), slen = strlen(suffix);
	size_t lf = msg->framing == PROTO_FRAMING_LINE ? 1 : 0;
	size_t need = plen + msg->len + slen + lf;

	if (need < msg->len || need > cap)
		return PROTO_ERR_SPACE;
	memcpy(out, prefix, plen);
	if (msg->len > 0)
		memcpy(out + plen, msg->data, msg->len);
	memcpy(out + plen + msg->len, suffix, slen);
	if (lf)
		out[need - 1] = '\n';
	*out_len = need;
	return PROTO_REPLY;
}

/* Writes a fixed greeting, LF-terminated in line framing. */
static int greet(const char *text, int lf_always, enum proto_framing framing, uint8_t *out,
                 size_t cap, size_t *out_len)
{
	size_t len = strlen(text);
	size_t lf = (lf_always || framing == PROTO_FRAMING_LINE) ? 1 : 0;

	if (len + lf > cap)
		return PROTO_ERR_SPACE;
	memcpy(out, text, len);
	if (lf)
		out[len] = '\n';
	*out_len = len + lf;
	return PROTO_REPLY;
}

static int echo_message(const struct proto_msg *msg, uint8_t *out, size_t cap, size_t *out_len)
{
	if (msg->len > cap)
		return PROTO_ERR_SPACE;
	if (msg->len > 0)
		memcpy(out, msg->data, msg->len);
	*out_len = msg->len;
	return PROTO_REPLY;
}

static int hello_welcome(enum proto_framing framing, uint8_t *out, size_t cap, size_t *out_len)
{
	return greet("Welcome!", 0, framing, out, cap, out_len);
}

static int hello_message(const struct proto_msg *msg, uint8_t *out, size_t cap, size_t *out_len)
{
	if (msg->len == 4 && memcmp(msg->data, "exit", 4) == 0) {
		*out_len = 0;
		return PROTO_CLOSE;
	}
	return compose("Hello, ", msg, "!", out, cap, out_len);
}

/* Writes v (< 100) as two digits, or as a space and one digit when pad
 * is ' ' and v < 10 (ctime's day of the month). */
static char *two_digits(char *p, unsigned v, char pad)
{
	*p++ = v < 10 ? pad : (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

size_t proto_ctime(const struct tm *tm, char *out, size_t cap)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char stamp[PROTO_CTIME_LEN + 1], *p = stamp;
	long year = 1900L + (long)tm->tm_year;
	size_t n;

	/* Keep the year to four digits, so the stamp is always 24 bytes. */
	year = year < 1000 ? 1000 : year > 9999 ? 9999 : year;
	/* ctime(): "%.3s %.3s%3d %.2d:%.2d:%.2d %d", written by hand: it runs
	 * for every reply. Out-of-range fields wrap. */
	memcpy(p, days[(unsigned)tm->tm_wday % 7], 3);
	p[3] = ' ';
	memcpy(p + 4, months[(unsigned)tm->tm_mon % 12], 3);
	p[7] = ' ';
	p = two_digits(p + 8, (unsigned)tm->tm_mday % 100, ' ');
	*p++ = ' ';
	p = two_digits(p, (unsigned)tm->tm_hour % 100, '0');
	*p++ = ':';
	p = two_digits(p, (unsigned)tm->tm_min % 100, '0');
	*p++ = ':';
	p = two_digits(p, (unsigned)tm->tm_sec % 100, '0');
	*p++ = ' ';
	p = two_digits(p, (unsigned)(year / 100), '0');
	p = two_digits(p, (unsigned)(year % 100), '0');
	if (cap == 0)
		return 0;
	n = (size_t)(p - stamp) < cap ? (size_t)(p - stamp) : cap - 1;
	memcpy(out, stamp, n);
	out[n] = '\0';
	return n;
}

static int timestamp_message(const struct proto_msg *msg, uint8_t *out, size_t cap, size_t *out_len)
{
	char prefix[PROTO_CTIME_LEN + 8];
	size_t n;

	if (!msg->now)
		return PROTO_ERR_SPACE;
	prefix[0] = '[';
	n = 1 + proto_ctime(msg->now, prefix + 1, sizeof(prefix) - 3);
	memcpy(prefix + n, "] ", 3);
	return compose(prefix, msg, "", out, cap, out_len);
}

static int ok_message(const struct proto_msg *msg, uint8_t *out, size_t cap, size_t *out_len)
{
	return compose("OK...", msg, "", out, cap, out_len);
}

static int ok_welcome(enum proto_framing framing, uint8_t *out, size_t cap, size_t *out_len)
{
	/* The seed sends this greeting with its newline in both framings. */
	return greet("Welcome to the server. Type something and hit enter", 1, framing, out, cap,
	             out_len);
}

const struct proto_handler proto_echo = {"echo", 0, NULL, echo_message};
const struct proto_handler proto_hello = {"hello", 0, hello_welcome, hello_message};
const struct proto_handler proto_timestamp = {"timestamp", PROTO_NEEDS_TIME, NULL,
                                              timestamp_message};
const struct proto_handler proto_ok = {"ok", PROTO_ONE_SHOT, NULL, ok_message};
const struct proto_handler proto_ok_welcome = {"ok-welcome", 0, ok_welcome, ok_message};
const struct proto_handler proto_silent = {"accept-close", PROTO_SILENT, NULL, echo_message};
