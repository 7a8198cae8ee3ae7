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
    .options = APP_OPT_FRAMING | APP_OPT_UDP | APP_OPT_IDLE,
    .default_mode = SERVE_ITERATIVE,
    .proto = &proto_timestamp,
    .socktype = SOCK_STREAM,
};

int main(int argc, char **argv)
{
	/* Options, bind, "listening on ADDR", serve until SIGTERM: app.c. */
	return app_run(argc, argv, &spec);
}
