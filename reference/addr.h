/* SPDX-License-Identifier: MIT */
/*
 * addr: socket addresses as users type them. Parses "127.0.0.1",
 * "127.0.0.1:8088", "::1", "[::1]", "[::1]:8088", "localhost" and
 * "unix:/path" into a sockaddr, and formats one back the same way.
 * Numeric only: no name service is consulted. Pure: no I/O.
 */
#ifndef SOCKSPEC_ADDR_H
#define SOCKSPEC_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_TEXT_MAX 128 /* enough for any formatted address */

struct addr {
	struct sockaddr_storage ss; /* AF_INET, AF_INET6 or AF_UNIX address */
	socklen_t len;              /* bytes of ss in use */
};

/* Parses text into out. A port in the text wins over default_port.
 * Returns 0, or -1 with a message such as "bad port in "[::1]:99999""
 * in err (errlen bytes). */
int addr_parse(const char *text, uint16_t default_port, struct addr *out, char *err, size_t errlen);

/* Builds out from a sockaddr (e.g. what getsockname() returned). */
void addr_from_sockaddr(struct addr *out, const struct sockaddr *sa, socklen_t len);

/* Formats a as "127.0.0.1:8088", "[::1]:8088" or "unix:/path" into out
 * (at least ADDR_TEXT_MAX bytes is always enough). Returns out. */
char *addr_format(const struct addr *a, char *out, size_t outlen);

/* Address family: AF_INET, AF_INET6 or AF_UNIX. */
int addr_family(const struct addr *a);

/* Port of an inet address (0 for AF_UNIX). */
uint16_t addr_port(const struct addr *a);

/* Sets the port of an inet address; no effect on AF_UNIX. */
void addr_set_port(struct addr *a, uint16_t port);

/* Parses a decimal port 0..65535 (the whole string). Returns 0 or -1. */
int addr_parse_port(const char *text, uint16_t *port);

#endif
