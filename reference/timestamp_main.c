/* SPDX-License-Identifier: MIT */
/*
 * ref-timestamp: seed 003's tsTserv (and, with --udp, tsUserv). Each
 * line (or datagram) DATA is answered "[CTIME] DATA", CTIME being the
 * server's local time as ctime() prints it. Clients are served one at a
 * time, like the book's server.
 */
#include <sys/socket.h>

#include "app.h"

static const struct app_spec spec = {
    .prog = "ref-timestamp",
    .summary = "Timestamp server: answers each line DATA with [CTIME] DATA.",
    .default_port = 21567,
    .options = APP_OPT_FRAMING | APP_OPT_UDP,
    .default_mode = SERVE_ITERATIVE,
};

int main(int argc, char **argv)
{
	struct app_config cfg;
	struct app_server srv;
	int status = app_options(argc, argv, &spec, &cfg);

	if (status >= 0)
		return status;
	if (app_listen(&spec, &cfg, cfg.udp ? SOCK_DGRAM : SOCK_STREAM, &srv) < 0)
		return 1;
	return app_serve(&srv, &proto_timestamp);
}
