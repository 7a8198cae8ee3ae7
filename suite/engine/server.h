/* SPDX-License-Identifier: MIT */
/*
 * server: the statements about the server under test itself — restart,
 * signal, expect exit, expect second-instance fails, snapshot and
 * expect fds|threads|children — carried out on the target supervisor
 * (target.h) and reported through the op interface.
 */
#ifndef SOCKSPEC_SERVER_H
#define SOCKSPEC_SERVER_H

#include "op.h"

/* Carries out op->stmt, one of the statements above. */
void server_step(struct op *op);

#endif
