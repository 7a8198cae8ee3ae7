#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A server that only listens, for the target supervisor's tests.

usage: listener.py PORT [--ignore-term] [--reuseport] [--lock PATH] [--noise N]
                        [--elsewhere] [--daemon]
  listens on 127.0.0.1:PORT (never accepts), prints N bytes of noise
  (lines of 0123456789) then "listening on PORT", and sleeps until
  killed. --ignore-term: SIGTERM is ignored. --reuseport: SO_REUSEPORT,
  so a second instance can bind too. --lock PATH: when PATH exists, exit
  0 at once (a second instance that does not mind); else create it.
  --elsewhere: listen on, and announce, a port of the kernel's choice
  instead of PORT. --daemon: the
  listening socket is held by a grandchild in a session of its own
  (setsid, double fork), which outlives the main process.
"""
import os
import signal
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    if "--elsewhere" in args:
        port = 0
    if "--ignore-term" in args:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if "--lock" in args:
        path = args[args.index("--lock") + 1]
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            sys.exit(0)
    if "--noise" in args:
        n = int(args[args.index("--noise") + 1])
        sys.stdout.write(("0123456789\n" * (n // 11 + 1))[:n] + "\n")
    daemon = "--daemon" in args
    ready_r, ready_w = os.pipe()
    if daemon and os.fork() > 0:
        os.read(ready_r, 1)  # the daemon listens: announce it
    else:
        if daemon:  # in a session of its own, orphaned at once
            os.setsid()
            if os.fork() > 0:
                os._exit(0)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if "--reuseport" in args:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", port))
        s.listen(8)
        port = s.getsockname()[1]
        if daemon:
            os.write(ready_w, port.to_bytes(2, "big"))
            while True:
                time.sleep(60)
    print(f"listening on {port}", flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
