#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One exchange with each reference server: start it on a free port, read
its readiness line, send one message, compare the reply byte for byte,
stop it with SIGTERM and check it exits 0. Standard library only."""
import signal
import socket
import subprocess
import sys
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"


def start(args):
    proc = subprocess.Popen([f"{BIN}/{args[0]}", "-p", "0", *args[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"{args[0]}: no readiness line, got {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def tcp(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def udp(port, data):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(data, ("127.0.0.1", port))
        return s.recvfrom(70000)[0]


def stamp_ok(reply, data):
    """[CTIME] DATA with the time within 2 s of ours."""
    return reply.startswith(b"[") and reply[25:27] == b"] " and reply[27:] == data and \
        abs(time.mktime(time.strptime(reply[1:25].decode())) - time.time()) <= 2


CASES = [
    (["ref-echo", "--mode", "once"], tcp, b"hello\n", lambda r: r == b"hello\n"),
    (["ref-echo", "--mode", "iterative"], tcp, b"hello\n", lambda r: r == b"hello\n"),
    (["ref-echo", "--mode", "threaded"], tcp, b"hello\n", lambda r: r == b"hello\n"),
    (["ref-udp-echo"], udp, b"hello", lambda r: r == b"hello"),
    (["ref-hello", "--delay", "0"], tcp, b"Bob\nexit\n",
     lambda r: r == b"Welcome!\nHello, Bob!\n"),
    (["ref-timestamp"], tcp, b"hi\n", lambda r: stamp_ok(r, b"hi\n")),
    (["ref-timestamp", "--udp"], udp, b"hi", lambda r: stamp_ok(r, b"hi")),
    (["ref-accept-close"], tcp, b"", lambda r: r == b""),
    (["ref-ok", "--mode", "iterative"], tcp, b"hi\n", lambda r: r == b"OK...hi\n"),
    (["ref-ok", "--mode", "threaded"], tcp, b"hi\n",
     lambda r: r == b"Welcome to the server. Type something and hit enter\nOK...hi\n"),
]

failed = 0
for args, send, data, check in CASES:
    proc, port = start(args)
    reply = send(port, data)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    status = proc.wait(timeout=2)
    ok = check(reply) and status == 0
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {' '.join(args):32} sent {data!r} got {reply!r} exit {status}")
print(f"{len(CASES) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
