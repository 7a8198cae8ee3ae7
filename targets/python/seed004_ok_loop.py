#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 004's "always running" server, ported to Python 3 with as few
changes as possible: one client at a time, ONE recv(1024) answered with
'OK...' + DATA.

Changes from the seed: print() calls, bytes, `except socket.error as
msg`, the port and bind address come from argv (default 127.0.0.1
instead of '').
Kept on purpose: a client that sends nothing makes the whole server
leave its loop and exit; the answered connection is not closed (it
closes only when `conn` is rebound at the next accept); one recv(1024)
taken as one message; no SO_REUSEADDR; sys.exit() (status 0) when bind
fails.

usage: seed004_ok_loop.py PORT [HOST]
"""
import socket
import sys

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8888

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print('Socket created')

try:
    s.bind((HOST, PORT))
except socket.error as msg:
    print('Bind failed. Error Code : ' + str(msg.errno) + ' Message ' + msg.strerror)
    sys.exit()

print('Socket bind complete')

s.listen(10)
print('Socket now listening')

while 1:
    conn, addr = s.accept()
    print('Connected with ' + addr[0] + ':' + str(addr[1]))

    data = conn.recv(1024)
    reply = b'OK...' + data
    if not data:
        break

    conn.sendall(reply)

conn.close()
s.close()
