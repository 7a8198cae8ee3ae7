/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the address parser (reference/addr.c), which
 * reads what users type after -b and --connect. The input, up to its
 * first NUL, is the text. Rejected: a message starting "bad " in the
 * error buffer. Accepted: a known family, a length that fits it, and
 * formatting it back gives a string that parses to the same socket
 * address and formats to itself; its port is the one in the text (or the
 * default), survives addr_set_port(), and addr_from_sockaddr() copies it
 * whole. The port parser is checked against a model: 1 to 5 digits and
 * a value up to 65535.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "addr.h"
#include "fuzz_kit.h"

#define HARNESS      "fuzz_address"
#define DEFAULT_PORT 8088

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

KIT_UNTRACED
static int model_port(const char *text, uint16_t *port)
{
	size_t n = strlen(text), i;
	unsigned long v = 0;

	if (n < 1 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(text[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

KIT_UNTRACED
static void check_port(const char *text)
{
	uint16_t got = 1, want = 2;
	int rc = addr_parse_port(text, &got);

	if (rc != model_port(text, &want) || (rc == 0 && got != want))
		kit_fail_text(HARNESS, "addr_parse_port() disagrees with the model", text);
}

KIT_UNTRACED
static socklen_t family_len(const struct addr *a)
{
	switch (addr_family(a)) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_UNIX:
		return a->len > offsetof(struct sockaddr_un, sun_path) &&
		               a->len <= sizeof(struct sockaddr_un)
		           ? a->len
		           : 0;
	}
	return 0;
}

/* The port text names: after "]:" or the last ":" of a non-bracketed
 * IPv4 address; the default when there is none. */
KIT_UNTRACED
static uint16_t port_in_text(const char *text, const struct addr *a)
{
	const char *colon = strrchr(text, ':');
	uint16_t port = DEFAULT_PORT;

	if (addr_family(a) == AF_INET && colon != NULL)
		addr_parse_port(colon + 1, &port);
	if (addr_family(a) == AF_INET6 && text[0] == '[' && colon > strchr(text, ']'))
		addr_parse_port(colon + 1, &port);
	return addr_family(a) == AF_UNIX ? 0 : port;
}

KIT_UNTRACED
static void check_port_and_copy(const char *text, const struct addr *a)
{
	struct addr b;

	if (addr_port(a) != port_in_text(text, a))
		kit_fail_text(HARNESS, "the port is not the one the text names", text);
	addr_from_sockaddr(&b, (const struct sockaddr *)&a->ss, a->len);
	if (b.len != a->len || memcmp(&b.ss, &a->ss, a->len) != 0)
		kit_fail_text(HARNESS, "addr_from_sockaddr() changed the address", text);
	addr_set_port(&b, 4242);
	if (addr_port(&b) != (addr_family(a) == AF_UNIX ? 0 : 4242))
		kit_fail_text(HARNESS, "addr_set_port() did not set the port", text);
}

KIT_UNTRACED
static void check_accepted(const char *text, const struct addr *a)
{
	char shown[ADDR_TEXT_MAX], again[ADDR_TEXT_MAX], err[256];
	struct addr b;

	if (family_len(a) == 0 || a->len != family_len(a))
		kit_fail_text(HARNESS, "accepted with an unknown family or a wrong length", text);
	addr_format(a, shown, sizeof(shown));
	if (strlen(shown) + 1 >= sizeof(shown))
		kit_fail_text(HARNESS, "the formatted address filled ADDR_TEXT_MAX", text);
	if (addr_parse(shown, DEFAULT_PORT + 1, &b, err, sizeof(err)) != 0)
		kit_fail_text(HARNESS, "the formatted address does not parse", shown);
	if (b.len != a->len || memcmp(&b.ss, &a->ss, a->len) != 0)
		kit_fail_text(HARNESS, "the formatted address parses to another address", shown);
	if (strcmp(addr_format(&b, again, sizeof(again)), shown) != 0)
		kit_fail_text(HARNESS, "formatting twice gives other text", again);
	check_port_and_copy(text, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	char *text = malloc(size + 1), err[256];
	struct addr a;

	if (text == NULL)
		return 0;
	memcpy(text, buf, size);
	text[size] = '\0';
	check_port(text);
	err[0] = '\0';
	if (addr_parse(text, DEFAULT_PORT, &a, err, sizeof(err)) == 0)
		check_accepted(text, &a);
	else if (strncmp(err, "bad ", 4) != 0)
		kit_fail_text(HARNESS, "rejected without a \"bad ...\" message", text);
	free(text);
	return 0;
}
