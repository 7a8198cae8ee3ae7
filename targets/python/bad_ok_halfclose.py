#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An ok-threaded server (PROTOCOLS.md) that is right in everything the
profile asks but one thing, planted deeper than the conformance cases
look: on every connection but the first one it accepted, the client's
EOF (a half-close, shutdown(SHUT_WR)) after at least one line is answered
with one bogus line,
'OK...' and the last line's data reversed, before the server closes.
The first connection ends correctly, so a test that starts the server
and half-closes its one client sees nothing wrong. It is there for the
live fuzzer (sockspec-fuzz), which opens many connections per server;
targets/README.md (section "bad_ok_halfclose.py") says what the suite
makes of it.

Right around the defect: the greeting line on connect, each line DATA
(LF, or CR LF) answered with 'OK...DATA' and LF however the bytes are
split, lines up to 64 KiB (a longer one closes that connection), a
daemon thread per connection, listen(SOMAXCONN), SO_REUSEADDR, SIGPIPE
ignored (Python's default), exit 0 on SIGTERM or SIGINT, the line
'listening on ADDR:PORT' once bound, and a bind error on stderr with
exit status 1.

usage: bad_ok_halfclose.py PORT [HOST]
"""
import signal
import socket
import sys
import threading
import time

GREETING = b'Welcome to the server. Type something and hit enter\n'
PREFIX = b'OK...'
MAX_LINE = 65536  # longest line content; a longer line closes its connection
READ_SIZE = 16384


def answer_lines(conn, pending, scan):
    """Answers every whole line in pending (a bytearray, consumed).
    Returns (the last line's data or None, where the LF search resumes)."""
    last = None
    while True:
        lf = pending.find(b'\n', scan)
        if lf < 0:
            return last, len(pending)
        end = lf - 1 if lf > 0 and pending[lf - 1] == 0x0d else lf
        last = bytes(pending[:end])
        conn.sendall(PREFIX + last + b'\n')
        del pending[:lf + 1]
        scan = 0


def serve(conn, first):
    """One connection, until EOF, a reset or a line too long."""
    pending, scan, last = bytearray(), 0, None
    try:
        conn.sendall(GREETING)
        while True:
            data = conn.recv(READ_SIZE)
            if not data:
                # The defect: every connection but the first that sent
                # a line gets a reply to its EOF, which is owed nothing.
                if not first and last is not None:
                    conn.sendall(PREFIX + last[::-1] + b'\n')
                return
            pending += data
            line, scan = answer_lines(conn, pending, scan)
            if line is not None:
                last = line
            if len(pending) > MAX_LINE + 1:
                return  # refused: close without reading the rest
    except OSError:
        return  # a reset: drop this connection only
    finally:
        conn.close()


def stop(signo, frame):
    raise SystemExit(0)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
    host = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    shown = '[%s]' % host if family == socket.AF_INET6 else host
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError as e:
        print('bad_ok_halfclose.py: bind(%s:%d): %s' % (shown, port, e.strerror),
              file=sys.stderr)
        sys.exit(1)
    s.listen(socket.SOMAXCONN)
    print('listening on %s:%d' % (shown, s.getsockname()[1]), flush=True)
    accepted = 0
    while True:
        try:
            conn, _ = s.accept()
        except OSError:
            time.sleep(0.1)  # out of fds, or a connection reset while queued
            continue
        threading.Thread(target=serve, args=(conn, accepted == 0), daemon=True).start()
        accepted += 1


if __name__ == '__main__':
    main()
