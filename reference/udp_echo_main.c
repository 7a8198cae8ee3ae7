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
};

int main(int argc, char **argv)
{
	struct app_config cfg;
	struct app_server srv;
	int status = app_options(argc, argv, &spec, &cfg);

	if (status >= 0)
		return status;
	if (app_listen(&spec, &cfg, SOCK_DGRAM, &srv) < 0)
		return 1;
	return app_serve(&srv, &proto_echo);
}
