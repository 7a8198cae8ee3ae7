/* SPDX-License-Identifier: MIT */
/*
 * The profile table. Reference servers listen where the runner says
 * ({addr}) and use the framing the run asks for ({framing}); hello runs
 * with --delay 0.1 so its concurrency cases stay quick but a serialised
 * server still shows.
 */
#include "profile.h"

#include <string.h>
#include <sys/socket.h>

static const struct profile profiles[] = {
    {"echo-once", "000, 004", "TCP echo of one connection, then exit 0",
     "{bin}/ref-echo --mode once -b {addr}", SOCK_STREAM, 0},
    {"echo-iterative", "000", "TCP echo, one client at a time, forever",
     "{bin}/ref-echo --mode iterative -b {addr}", SOCK_STREAM, 0},
    {"echo-threaded", "000", "TCP echo, clients served concurrently",
     "{bin}/ref-echo --mode threaded -b {addr}", SOCK_STREAM, 0},
    {"udp-echo", "000", "UDP echo: each datagram back whole to its sender",
     "{bin}/ref-udp-echo -b {addr}", SOCK_DGRAM, 0},
    {"hello", "002", "Welcome!, then Hello, NAME! per line; exit ends it; concurrent",
     "{bin}/ref-hello --delay 0.1 --framing {framing} -b {addr}", SOCK_STREAM, 1},
    {"timestamp", "003", "[CTIME] DATA per line, one client at a time",
     "{bin}/ref-timestamp --framing {framing} -b {addr}", SOCK_STREAM, 1},
    {"timestamp-udp", "003", "[CTIME] DATA per datagram", "{bin}/ref-timestamp --udp -b {addr}",
     SOCK_DGRAM, 0},
    {"accept-close", "004", "accept one connection, close it, send nothing, exit 0",
     "{bin}/ref-accept-close -b {addr}", SOCK_STREAM, 0},
    {"ok-iterative", "004", "one line DATA gets OK...DATA, then close; next client",
     "{bin}/ref-ok --mode iterative --framing {framing} -b {addr}", SOCK_STREAM, 1},
    {"ok-threaded", "004", "a greeting, then OK...DATA per line; concurrent",
     "{bin}/ref-ok --mode threaded --framing {framing} -b {addr}", SOCK_STREAM, 1},
};

const struct profile *profile_find(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const struct profile *profile_all(size_t *n)
{
	*n = sizeof(profiles) / sizeof(profiles[0]);
	return profiles;
}
