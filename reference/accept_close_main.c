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
};

int main(int argc, char **argv)
{
	struct app_config cfg;
	struct app_server srv;
	int status = app_options(argc, argv, &spec, &cfg);

	if (status >= 0)
		return status;
	if (app_listen(&spec, &cfg, SOCK_STREAM, &srv) < 0)
		return 1;
	return app_serve(&srv, &proto_silent);
}
