/* SPDX-License-Identifier: MIT */
/*
 * ref-ok: seed 004's "OK..." servers. --mode iterative (the default):
 * one line DATA per connection, answered "OK...DATA", then the
 * connection is closed and the next client accepted (a client that sends
 * nothing is dropped; the seed's whole server exited there). --mode
 * threaded: a greeting, then "OK...DATA" for every line until EOF.
 */
#include <sys/socket.h>

#include "app.h"

static const struct app_spec spec = {
    .prog = "ref-ok",
    .summary = "OK... server: answers each line DATA with OK...DATA.",
    .default_port = 8888,
    .options = APP_OPT_MODE | APP_OPT_FRAMING,
    .modes = 1u << SERVE_ITERATIVE | 1u << SERVE_THREADED,
    .default_mode = SERVE_ITERATIVE,
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
	return app_serve(&srv, cfg.mode == SERVE_THREADED ? &proto_ok_welcome : &proto_ok);
}
