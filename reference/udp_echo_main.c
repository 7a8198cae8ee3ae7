/* SPDX-License-Identifier: MIT */
/*
 * ref-udp-echo: seed 000's UDP echo server. Each datagram, 0 to 65,507
 * bytes, goes back whole to its sender, from the address it was sent to
 * (the seed's recvfrom(1024) truncates: this one does not).
 */
#include <sys/socket.h>

#include "app.h"

static const struct app_spec spec = {
    .prog = "ref-udp-echo",
    .summary = "UDP echo server: sends each datagram back whole to its sender.",
    .default_port = 10000,
    .proto = &proto_echo,
    .socktype = SOCK_DGRAM,
};

int main(int argc, char **argv)
{
	/* Options, bind, "listening on ADDR", serve until SIGTERM: app.c. */
	return app_run(argc, argv, &spec);
}
