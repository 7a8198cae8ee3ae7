#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An echo-threaded server (PROTOCOLS.md) in Python, for the run-control
tests and the -j measurement.

usage: slow_echo.py PORT [--start-delay SECONDS] [--flaky COUNTER_FILE] [--log FILE]
  --start-delay  sleep this long before listening (default 0.2: about
                 what an interpreter's start costs a real server)
  --flaky        every second start (counted in COUNTER_FILE, across
                 instances) closes each connection at once without an
                 echo: the first start works, the second fails, ...
  --log          on exit, append "START END CONNECTIONS FIRST LAST" to FILE
                 (times from time.monotonic(): the instance's start and
                 end, the first accept and the last time a client's
                 connection was read from or closed; 0 0 without clients)
It prints "listening on 127.0.0.1:PORT" once it listens and exits 0 on
SIGTERM or SIGINT (taken with sigwait, as misbehave.py does).
"""
import fcntl
import os
import signal
import socket
import sys
import threading
import time


SERVED = [0.0, 0.0]  # the first accept, the last read or close


def seen():
    SERVED[1] = time.monotonic()


def echo(conn):
    try:
        while True:
            data = conn.recv(65536)
            seen()
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    conn.close()
    seen()


def hang_up(conn):
    conn.close()
    seen()


def broken_start(path):
    """Counts this start in the file; True for the second, fourth, ..."""
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        n = int(f.read() or "0") + 1
        f.seek(0)
        f.truncate()
        f.write(str(n))
    return n % 2 == 0


ACCEPTED = [0]


def serve(port, delay, handler):
    time.sleep(delay)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind(("127.0.0.1", port))
        srv.listen(1024)
    except OSError as e:  # a second instance on the same port must fail
        print(f"slow_echo.py: bind(127.0.0.1:{port}): {e.strerror}", file=sys.stderr,
              flush=True)
        os._exit(1)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    while True:
        conn, _ = srv.accept()
        ACCEPTED[0] += 1
        if ACCEPTED[0] == 1:
            SERVED[0] = time.monotonic()
        seen()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


def main():
    args = sys.argv[1:]
    port, delay, handler, log = int(args.pop(0)), 0.2, echo, None
    start = time.monotonic()
    while args:
        opt, value = args.pop(0), args.pop(0)
        if opt == "--start-delay":
            delay = float(value)
        elif opt == "--flaky":
            handler = hang_up if broken_start(value) else echo
        elif opt == "--log":
            log = value
        else:
            sys.exit(f"slow_echo.py: unknown option {opt}")
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    threading.Thread(target=serve, args=(port, delay, handler), daemon=True).start()
    signal.sigwait(stop)
    if log:
        with open(log, "a") as f:
            f.write(f"{start:.6f} {time.monotonic():.6f} {ACCEPTED[0]} "
                    f"{SERVED[0]:.6f} {SERVED[1]:.6f}\n")
    os._exit(0)


if __name__ == "__main__":
    main()
