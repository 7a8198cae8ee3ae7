/* SPDX-License-Identifier: MIT */
/*
 * live-bench-peer: make fuzz-bench's peer for the live fuzzer. It does
 * what one single-connection schedule does, without libFuzzer or the
 * model: connect (from a varying 127.x.y.z), write one line, read the
 * reply bytes owed, half-close, read to EOF, close; ROUNDS times. It
 * prints the rounds per second: the most a client can do per second
 * against that server on that core, which the fuzzer's execs/s are
 * compared with.
 *   live-bench-peer ADDR LINE REPLY_BYTES ROUNDS
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"

static int round_trip(const struct addr *to, uint32_t n, const char *line, size_t want)
{
	struct sockaddr_in *in;
	struct addr from = {.len = sizeof(struct sockaddr_in)};
	struct lconn c;
	uint64_t deadline = lconn_now_ms() + 2000;
	int rc = -1;

	in = (struct sockaddr_in *)&from.ss;
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(0x7f000000u | (1u + n / (256u * 254u) % 254u) << 16 |
	                            (n / 254u % 256u) << 8 | (1u + n % 254u));
	if (lconn_open(&c, to, &from, 0, deadline) < 0 ||
	    lconn_write(&c, (const uint8_t *)line, strlen(line), deadline) < 0)
		goto out;
	while (c.got_len < want && c.end == LCONN_OPEN)
		if (lconn_pump(&c, deadline) <= 0)
			goto out;
	if (lconn_shutdown(&c) < 0)
		goto out;
	while (c.end == LCONN_OPEN)
		if (lconn_pump(&c, deadline) <= 0)
			goto out;
	rc = c.got_len == want && c.end == LCONN_EOF ? 0 : -1;
out:
	if (rc < 0)
		fprintf(stderr, "live-bench-peer: round %u: %s (got %zu of %zu bytes)\n", n,
		        c.err[0] ? c.err : "wrong reply", c.got_len, want);
	lconn_free(&c);
	return rc;
}

int main(int argc, char **argv)
{
	struct addr to;
	char err[256];
	unsigned long rounds, i;
	uint64_t start;

	if (argc != 5) {
		fprintf(stderr, "usage: live-bench-peer ADDR LINE REPLY_BYTES ROUNDS\n");
		return 2;
	}
	if (addr_parse(argv[1], 0, &to, err, sizeof(err)) < 0) {
		fprintf(stderr, "live-bench-peer: %s\n", err);
		return 2;
	}
	rounds = strtoul(argv[4], NULL, 10);
	start = lconn_now_ms();
	for (i = 0; i < rounds; i++)
		if (round_trip(&to, (uint32_t)i, argv[2], strtoul(argv[3], NULL, 10)) < 0)
			return 1;
	printf("%.0f\n", rounds * 1000.0 / (double)(lconn_now_ms() - start + 1));
	return 0;
}
