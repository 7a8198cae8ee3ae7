#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A server that only listens, for the target supervisor's tests.

usage: listener.py PORT [--ignore-term] [--reuseport] [--lock PATH] [--noise N]
  listens on 127.0.0.1:PORT (never accepts), prints N bytes of noise
  (lines of 0123456789) then "listening on PORT", and sleeps until
  killed. --ignore-term: SIGTERM is ignored. --reuseport: SO_REUSEPORT,
  so a second instance can bind too. --lock PATH: when PATH exists, exit
  0 at once (a second instance that does not mind); else create it.
"""
import os
import signal
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    if "--ignore-term" in args:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if "--lock" in args:
        path = args[args.index("--lock") + 1]
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            sys.exit(0)
    s = socket.socket()
    if "--reuseport" in args:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    if "--noise" in args:
        n = int(args[args.index("--noise") + 1])
        sys.stdout.write(("0123456789\n" * (n // 11 + 1))[:n] + "\n")
    print(f"listening on {port}", flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
