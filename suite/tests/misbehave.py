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
  backlog       a concurrent echo server with listen(fd, 1) that accepts
                one connection every 50 ms: a burst overflows its backlog
  short-reply   an echo server that sends back only the first 1000 bytes
                of each read, then closes
Every mode but chatty prints "listening on ..." once it is set up; all
run until killed.
"""
import os
import signal
import socket
import sys
import threading
import time


def listener(port, backlog=128):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(backlog)
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


def short_reply(conn):
    data = conn.recv(65536)
    conn.sendall(data[:1000])
    conn.close()


def serve(srv, handler, pause=0.0):
    while True:
        time.sleep(pause)
        conn, _ = srv.accept()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


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
    threading.Thread(target=talk, args=(time.monotonic() + 0.3,), daemon=True).start()
    serve(srv, echo)


def daemon(port):
    if os.fork() == 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
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


def serve_mode(mode, port):
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
    elif mode == "backlog":
        srv = listener(port, backlog=1)
        announce(f"127.0.0.1:{port}")
        serve(srv, echo, pause=0.05)
    elif mode == "short-reply":
        srv = listener(port)
        announce(f"127.0.0.1:{port}")
        serve(srv, short_reply)
    elif mode == "slow-exit":
        srv = listener(port)
        announce(f"127.0.0.1:{port}")
        serve(srv, echo)
    else:
        srv = listener(port)
        announce(f"127.0.0.1:{port}")
        if mode == "never-accept":
            threading.Event().wait()
        serve(srv, flood)


def main():
    """SIGTERM and SIGINT are blocked in every thread and taken by the
    main thread with sigwait(): a Python handler runs only when the main
    thread gets to run bytecode, and one asleep in accept() was seen to
    miss a signal now and then (the server never exited)."""
    mode, port = sys.argv[1], int(sys.argv[2])
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    threading.Thread(target=serve_mode, args=(mode, port), daemon=True).start()
    while True:
        if signal.sigwait(stop) == signal.SIGTERM and mode == "slow-exit":
            time.sleep(30)
        os._exit(0)


if __name__ == "__main__":
    main()
