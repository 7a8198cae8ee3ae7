#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 004's one-connection echo server, ported to Python 3 with as few
changes as possible: it accepts one connection, echoes ONE recv(1024),
and exits.

Changes from the seed: print() calls, `except socket.error as msg`, the
port and bind address come from argv (default 127.0.0.1 instead of '').
Kept on purpose: one recv(1024) taken as the whole message, no
SO_REUSEADDR, and sys.exit() (status 0) when bind fails.

usage: seed004_echo_once.py PORT [HOST]
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

conn, addr = s.accept()

print('Connected with ' + addr[0] + ':' + str(addr[1]))

data = conn.recv(1024)
conn.sendall(data)

conn.close()
s.close()
