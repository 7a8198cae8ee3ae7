/* SPDX-License-Identifier: MIT */
/*
 * ref-hello: seed 002's greeting server. Says "Welcome!" on connect,
 * answers each line NAME with "Hello, NAME!" after --delay seconds (the
 * seed sleeps 1 s to show that threads serve clients concurrently), and
 * ends the connection on the line "exit".
 */
#include <sys/socket.h>

#include "app.h"

static const struct app_spec spec = {
    .prog = "ref-hello",
    .summary = "Greeting server: Welcome!, then Hello, NAME! for each line; exit ends it.",
    .default_port = 9999,
    .options = APP_OPT_FRAMING | APP_OPT_DELAY | APP_OPT_IDLE,
    .default_mode = SERVE_THREADED,
    .default_delay = 1.0,
    .proto = &proto_hello,
    .socktype = SOCK_STREAM,
};

int main(int argc, char **argv)
{
	/* Options, bind, "listening on ADDR", serve until SIGTERM: app.c. */
	return app_run(argc, argv, &spec);
}
