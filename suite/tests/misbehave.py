#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Misbehaving TCP servers for the runner's robustness tests.

usage: misbehave.py MODE PORT
  flood         accept clients and send them 'x' bytes without end
  never-accept  listen, print the readiness line, never accept
  chatty        an echo server that never prints a readiness line but
                writes to stderr every 2 ms from start to 300 ms after it
                listens (output around readiness, as a loaded server does)
  daemon        double-fork a session of its own (setsid) whose grandchild
                is the echo server; the main process only waits for SIGTERM
  wrong-port    listen on a port of the kernel's choice and announce that one
  no-listen     print "listening on 127.0.0.1:PORT" and listen nowhere
  slow-exit     an echo server that takes 30 s to exit after SIGTERM
Every mode but chatty prints "listening on ..." once it is set up; all
run until killed.
"""
import os
import signal
import socket
import sys
import threading
import time


def listener(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    return srv


def flood(conn):
    chunk = b"x" * 65536
    try:
        while True:
            conn.sendall(chunk)
    except OSError:
        conn.close()


def echo(conn):
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    conn.close()


def spawn(fn, *args):
    """Start a thread with SIGTERM and SIGINT blocked, so that the kernel
    delivers them to the main thread: CPython runs handlers only there,
    and a signal taken by another thread leaves the main thread asleep
    in accept() (the server would never exit)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        threading.Thread(target=fn, args=args, daemon=True).start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def serve(srv, handler):
    while True:
        conn, _ = srv.accept()
        spawn(handler, conn)


def announce(text):
    print(f"listening on {text}", flush=True)


def chatty(port):
    start = time.monotonic()

    def talk(until):
        while time.monotonic() < until:
            sys.stderr.write(f"{time.monotonic() - start:.4f} starting\n")
            sys.stderr.flush()
            time.sleep(0.002)

    talk(start + 0.05)
    srv = listener(port)
    spawn(talk, time.monotonic() + 0.3)
    serve(srv, echo)


def daemon(port):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            srv = listener(port)
            serve(srv, echo)
        os._exit(0)
    # The main process: announces once the daemon listens, then waits.
    for _ in range(500):
        probe = socket.socket()
        try:
            probe.connect(("127.0.0.1", port))
            probe.close()
            break
        except OSError:
            probe.close()
            time.sleep(0.01)
    announce(f"127.0.0.1:{port}")
    while True:
        time.sleep(60)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    if mode == "chatty":
        chatty(port)
    elif mode == "daemon":
        daemon(port)
    elif mode == "wrong-port":
        srv = listener(0)
        announce(f"127.0.0.1:{srv.getsockname()[1]}")
        serve(srv, echo)
    elif mode == "no-listen":
        announce(f"127.0.0.1:{port}")
        threading.Event().wait()
    elif mode == "slow-exit":
        signal.signal(signal.SIGTERM, lambda *_: time.sleep(30) or os._exit(0))
        srv = listener(port)
        announce(f"127.0.0.1:{port}")
        serve(srv, echo)
    else:
        srv = listener(port)
        announce(f"127.0.0.1:{port}")
        if mode == "never-accept":
            threading.Event().wait()
        serve(srv, flood)


if __name__ == "__main__":
    main()
