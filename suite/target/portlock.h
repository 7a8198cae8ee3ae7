/* SPDX-License-Identifier: MIT */
/*
 * Ports for launched targets. The kernel's bind(port 0) hands out a port
 * of the ephemeral range, and between our close() of that probe and the
 * target's bind() any client connect() on the machine may take the same
 * port as its local one: with several runs at once (the targets matrix,
 * CI jobs) that happens. So a port is picked below the ephemeral range,
 * where connect() never binds, and locked against other sockspec
 * processes with an open-file-description lock on byte PORT of a shared
 * lock file, held until the next pick or portlock_release().
 */
#ifndef SOCKSPEC_PORTLOCK_H
#define SOCKSPEC_PORTLOCK_H

#include <stdint.h>

#define PORTLOCK_FILE "/tmp/sockspec-ports.lock"

struct portlock {
	int fd;        /* the lock file, -1: none (no locking possible) */
	uint16_t port; /* the port locked, 0: none */
};

/* Where to pick from, given the text of ip_local_port_range ("32768
 * 60999"): the upper half of the ports below it, above 1023. Returns 0,
 * or -1 when the text does not parse or leaves fewer than 1,024 ports
 * (then the kernel's port 0 is used). Pure. */
int portlock_range(const char *text, uint16_t *lo, uint16_t *hi);

/* An unlocked state; nothing is opened yet. */
void portlock_init(struct portlock *pl);

/* Releases the previous port and picks a new one that no other sockspec
 * holds and that binds now (family, type: the target's). Returns 0 or
 * -errno of the last failure. */
int portlock_pick(struct portlock *pl, int family, int type, uint16_t *port);

/* Releases the previous port and takes PORT if no other sockspec holds
 * it and it binds now. Returns 0, -EAGAIN (held elsewhere) or -errno of
 * the bind. */
int portlock_try(struct portlock *pl, int family, int type, uint16_t port);

/* Releases the port and closes the lock file. */
void portlock_release(struct portlock *pl);

#endif
