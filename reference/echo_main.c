/* SPDX-License-Identifier: MIT */
/*
 * ref-echo: seed 000's echo server, done right. Every byte a client
 * sends comes back, however it was split, until the client's EOF.
 * --mode once (the first example), iterative (the accept loop) or
 * threaded (a thread per connection, the default).
 */
#include <sys/socket.h>

#include "app.h"

static const struct app_spec spec = {
    .prog = "ref-echo",
    .summary = "Echo server: sends back every byte it receives, until the client's EOF.",
    .default_port = 8088,
    .options = APP_OPT_MODE | APP_OPT_IDLE,
    .modes = 1u << SERVE_ONCE | 1u << SERVE_ITERATIVE | 1u << SERVE_THREADED,
    .default_mode = SERVE_THREADED,
    .proto = &proto_echo,
    .socktype = SOCK_STREAM,
};

int main(int argc, char **argv)
{
	/* Options, bind, "listening on ADDR", serve until SIGTERM: app.c. */
	return app_run(argc, argv, &spec);
}
