/* SPDX-License-Identifier: MIT */
/*
 * procmem: what Linux /proc says about the memory of a server under
 * measurement, one process or a whole process group (socat forks a
 * process per connection, which execs cat). Resident set (RSS) as the
 * kernel counts it per process, so a group's sum counts shared library
 * pages once per process; proportional set (PSS) shares them out. The
 * readers return 0 or -1 with a message naming the failing call.
 */
#ifndef SOCKSPEC_BENCH_PROCMEM_H
#define SOCKSPEC_BENCH_PROCMEM_H

#include <stddef.h>
#include <sys/types.h>

/* One reading of a process or a process group. */
struct procmem {
	unsigned long long rss_kib; /* VmRSS, summed over the processes */
	unsigned long long pss_kib; /* Pss of smaps_rollup, summed likewise */
	unsigned procs;             /* processes read */
	unsigned threads;           /* their threads (Threads:), summed */
};

/* Reads process pid, or with group every process whose process group is
 * pid: only procs and threads, or with full the memory figures too
 * (smaps_rollup costs the kernel a walk of every mapping). A process
 * that ends while being read is left out. Returns 0 (out filled), or -1
 * with err (errlen bytes) filled. */
int procmem_read(pid_t pid, int group, int full, struct procmem *out, char *err, size_t errlen);

#endif
