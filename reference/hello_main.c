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
    .options = APP_OPT_FRAMING | APP_OPT_DELAY,
    .default_mode = SERVE_THREADED,
    .default_delay = 1.0,
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
	return app_serve(&srv, &proto_hello);
}
