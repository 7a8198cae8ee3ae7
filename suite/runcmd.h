/* SPDX-License-Identifier: MIT */
/*
 * runcmd: `sockspec run` — its options, the checks made before the first
 * case (every one a setup error, exit 2, one line: a case file that does
 * not parse, a --case glob that matches nothing, a target command that
 * cannot run, a --connect address where nothing listens, an --output
 * that cannot be written), the runs under one guard, and the report,
 * written atomically and also when the run was cut short.
 */
#ifndef SOCKSPEC_RUNCMD_H
#define SOCKSPEC_RUNCMD_H

/* Exit status of the whole run: 0 every case that ran passed; 1 a case
 * failed or errored, or none ran, or the watchdog stopped the run; 2 a
 * usage or setup error; 128 + N stopped by signal N. */
int runcmd_main(int argc, char **argv, const char *version);

/* The usage text of `sockspec run` (and of the other commands). */
extern const char runcmd_usage[];

/* "sockspec: MESSAGE\nTry 'sockspec --help'." on stderr; returns 2. */
int runcmd_usage_error(const char *fmt, const char *arg);

#endif
