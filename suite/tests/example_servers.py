#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Small servers for test_examples.py, Python stdlib only, on 127.0.0.1.

  example_servers.py lp-echo PORT      length-prefixed echo: each frame is a
                                       u16be length and that many bytes; it
                                       is sent back as it came
  example_servers.py lp-broken PORT    the same, but the prefix it sends back
                                       is one too large
  example_servers.py resp-broken PORT  a RESP server with two defects: +PONG
                                       without CR LF, bulk lengths one too large
  example_servers.py http-broken PORT DIR  http.server whose GET replies carry a
                                       Content-Length one byte too long

sockspec starts them with --target and stops them (SIGTERM to the process
group); each also ends by itself after a minute, so none outlives a test.
"""
import http.server
import signal
import socket
import socketserver
import struct
import sys
import threading

LIFETIME_S = 60


class Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def read_exact(rfile, n):
    data = rfile.read(n)
    return data if data is not None and len(data) == n else None


class LengthPrefixed(socketserver.StreamRequestHandler):
    extra = 0  # added to the length sent back (the broken variant: 1)

    def handle(self):
        while True:
            head = read_exact(self.rfile, 2)
            if head is None:
                return
            (n,) = struct.unpack(">H", head)
            body = read_exact(self.rfile, n)
            if body is None:
                return
            self.wfile.write(struct.pack(">H", n + self.extra) + body)
            self.wfile.flush()


class LengthPrefixedBroken(LengthPrefixed):
    extra = 1


def resp_args(rfile):
    """One RESP array of bulk strings, or an inline command line; None at EOF."""
    line = rfile.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        return line.strip().split()
    args = []
    for _ in range(int(line[1:].strip())):
        size = int(rfile.readline()[1:].strip())
        args.append(rfile.read(size + 2)[:size])
    return args


class RespBroken(socketserver.StreamRequestHandler):
    def bulk(self, value):
        return b"$%d\r\n%s\r\n" % (len(value) + 1, value)  # the defect: one too many

    def handle(self):
        store = {}
        while True:
            args = resp_args(self.rfile)
            if args is None:
                return
            cmd = args[0].upper() if args else b""
            if cmd == b"PING":
                reply = b"+PONG"  # the defect: no CR LF
            elif cmd == b"ECHO" and len(args) == 2:
                reply = self.bulk(args[1])
            elif cmd == b"SET" and len(args) == 3:
                store[args[1]] = args[2]
                reply = b"+OK\r\n"
            elif cmd == b"GET" and len(args) == 2:
                reply = self.bulk(store[args[1]]) if args[1] in store else b"$-1\r\n"
            else:
                reply = b"-ERR unknown command '%s'\r\n" % cmd
            self.wfile.write(reply)
            self.wfile.flush()


class HttpBroken(http.server.SimpleHTTPRequestHandler):
    def send_header(self, keyword, value):
        if keyword.lower() == "content-length" and self.command == "GET":
            value = str(int(value) + 1)  # the defect: one byte too long
        super().send_header(keyword, value)

    def log_message(self, format, *args):
        pass


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Timer(LIFETIME_S, lambda: signal.raise_signal(signal.SIGTERM)).start()
    if mode == "http-broken":
        directory = sys.argv[3]
        handler = lambda *a, **k: HttpBroken(*a, directory=directory, **k)
    else:
        handler = {"lp-echo": LengthPrefixed, "lp-broken": LengthPrefixedBroken,
                   "resp-broken": RespBroken}[mode]
    with Threaded(("127.0.0.1", port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
