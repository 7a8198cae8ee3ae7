/* SPDX-License-Identifier: MIT */
/*
 * ref-accept-close: seed 004's first server. Accepts one connection,
 * closes it at once without sending anything, and exits 0.
 */
#include <sys/socket.h>

#include "app.h"

static const struct app_spec spec = {
    .prog = "ref-accept-close",
    .summary = "Accepts one connection, closes it at once, sends nothing, exits 0.",
    .default_port = 8888,
    .default_mode = SERVE_ONCE,
    .proto = &proto_silent,
    .socktype = SOCK_STREAM,
};

int main(int argc, char **argv)
{
	/* Options, bind, "listening on ADDR", serve until SIGTERM: app.c. */
	return app_run(argc, argv, &spec);
}
