/* SPDX-License-Identifier: MIT */
/*
 * Address parsing and formatting shared by the reference servers and the
 * runner, so that "listening on [::1]:8088" printed by one is what the
 * other accepts.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

int addr_parse_port(const char *text, uint16_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (!text || !*text)
		return -1;
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9' || p - text >= 5)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_unix(const char *path, struct addr *out, char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "bad unix socket path \"%s\": must be 1 to %zu bytes", path,
		         sizeof(sun->sun_path) - 1);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Fills out from a numeric host (no brackets) and a port. */
static int parse_host(const char *host, uint16_t port, struct addr *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int addr_parse(const char *text, uint16_t default_port, struct addr *out, char *err, size_t errlen)
{
	char host[ADDR_TEXT_MAX];
	const char *port_text = NULL, *colon;
	uint16_t port = default_port;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, out, err, errlen);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errlen, "bad address \"%s\": expected [IPV6] or [IPV6]:PORT",
			         text);
			return -1;
		}
		hlen = (size_t)(close - text - 1);
		if (hlen >= sizeof(host))
			goto bad_host;
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		if (close[1] == ':')
			port_text = close + 2;
	} else {
		colon = strchr(text, ':');
		/* One colon: HOST:PORT. Several: a bare IPv6 address. */
		hlen = colon && !strchr(colon + 1, ':') ? (size_t)(colon - text) : strlen(text);
		if (hlen >= sizeof(host))
			goto bad_host;
		memcpy(host, text, hlen);
		host[hlen] = '\0';
		if (text[hlen] == ':')
			port_text = text + hlen + 1;
	}
	if (port_text && addr_parse_port(port_text, &port) < 0) {
		snprintf(err, errlen, "bad port in \"%s\": expected a number from 0 to 65535",
		         text);
		return -1;
	}
	if (parse_host(host, port, out) == 0)
		return 0;
bad_host:
	snprintf(err, errlen,
	         "bad address \"%s\": expected an IPv4 or IPv6 address, [IPV6]:PORT or unix:PATH",
	         text);
	return -1;
}

void addr_from_sockaddr(struct addr *out, const struct sockaddr *sa, socklen_t len)
{
	memset(out, 0, sizeof(*out));
	if (len > sizeof(out->ss))
		len = sizeof(out->ss);
	memcpy(&out->ss, sa, len);
	out->len = len;
}

char *addr_format(const struct addr *a, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;

	switch (a->ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		if (a->len <= offsetof(struct sockaddr_un, sun_path))
			snprintf(out, outlen, "unix:(unnamed)");
		else
			snprintf(out, outlen, "unix:%.*s",
			         (int)(a->len - offsetof(struct sockaddr_un, sun_path)),
			         sun->sun_path);
		break;
	default:
		snprintf(out, outlen, "(family %d)", a->ss.ss_family);
	}
	return out;
}

int addr_family(const struct addr *a)
{
	return a->ss.ss_family;
}

uint16_t addr_port(const struct addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

void addr_set_port(struct addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}
