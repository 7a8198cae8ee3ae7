#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Misbehaving TCP servers for the runner's robustness tests.

usage: misbehave.py MODE PORT
  flood         accept clients and send them 'x' bytes without end
  never-accept  listen, print the readiness line, never accept
Prints "listening on 127.0.0.1:PORT" once listening; runs until killed.
"""
import socket
import sys
import threading


def flood(conn):
    chunk = b"x" * 65536
    try:
        while True:
            conn.sendall(chunk)
    except OSError:
        conn.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    if mode == "never-accept":
        threading.Event().wait()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=flood, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
