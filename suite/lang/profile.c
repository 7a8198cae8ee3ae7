/* SPDX-License-Identifier: MIT */
/*
 * The profile table. Reference servers listen where the runner says
 * ({addr}) and use the framing the run asks for ({framing}); hello runs
 * with --delay 0.2 so its concurrency cases stay quick but a serialised
 * server still shows.
 */
#include "profile.h"

#include <string.h>
#include <sys/socket.h>

static const struct profile profiles[] = {
    {"echo-once", "TCP echo, one connection, then exit 0 (seeds 000, 004)",
     "{bin}/ref-echo --mode once -b {addr}", SOCK_STREAM},
    {"echo-iterative", "TCP echo, one client at a time, forever (seed 000)",
     "{bin}/ref-echo --mode iterative -b {addr}", SOCK_STREAM},
    {"echo-threaded", "TCP echo, a thread per connection (seed 000)",
     "{bin}/ref-echo --mode threaded -b {addr}", SOCK_STREAM},
    {"udp-echo", "UDP echo: each datagram back whole to its sender (seed 000)",
     "{bin}/ref-udp-echo -b {addr}", SOCK_DGRAM},
    {"hello", "Welcome!, Hello, NAME! per line, exit ends it (seed 002)",
     "{bin}/ref-hello --delay 0.2 --framing {framing} -b {addr}", SOCK_STREAM},
    {"timestamp", "[CTIME] DATA per line, one client at a time (seed 003)",
     "{bin}/ref-timestamp --framing {framing} -b {addr}", SOCK_STREAM},
    {"timestamp-udp", "[CTIME] DATA per datagram (seed 003)", "{bin}/ref-timestamp --udp -b {addr}",
     SOCK_DGRAM},
    {"accept-close", "accept one connection, close it, send nothing, exit 0 (seed 004)",
     "{bin}/ref-accept-close -b {addr}", SOCK_STREAM},
    {"ok-iterative", "one line DATA -> OK...DATA, close, next client (seed 004)",
     "{bin}/ref-ok --mode iterative --framing {framing} -b {addr}", SOCK_STREAM},
    {"ok-threaded", "greeting, then OK...DATA per line, concurrently (seed 004)",
     "{bin}/ref-ok --mode threaded --framing {framing} -b {addr}", SOCK_STREAM},
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
