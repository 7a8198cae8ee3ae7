/* SPDX-License-Identifier: MIT */
/* Stop-signal handling for the reference servers (see sig.h). */
#include "sig.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t sig_stop;

static void on_stop(int signo)
{
	(void)signo;
	sig_stop = 1;
}

int sig_setup(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t stop_set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = on_stop; /* no SA_RESTART: waits must see EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -errno;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop_set, wait_mask) < 0)
		return -errno;
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	return 0;
}
