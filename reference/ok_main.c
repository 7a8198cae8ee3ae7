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
    .options = APP_OPT_MODE | APP_OPT_FRAMING | APP_OPT_IDLE,
    .modes = 1u << SERVE_ITERATIVE | 1u << SERVE_THREADED,
    .default_mode = SERVE_ITERATIVE,
    .proto = &proto_ok,
    .proto_threaded = &proto_ok_welcome,
    .socktype = SOCK_STREAM,
};

int main(int argc, char **argv)
{
	/* Options, bind, "listening on ADDR", serve until SIGTERM: app.c. */
	return app_run(argc, argv, &spec);
}
