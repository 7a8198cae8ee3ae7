#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 004's threaded server, ported to Python 3 with as few changes as
possible: a thread per connection sends a welcome line, then answers
each recv(1024) with 'OK...' + DATA until EOF.

Changes from the seed: print() calls, bytes, `except socket.error as
msg`, `from _thread import *` (Python 2's `thread`), the port and bind
address come from argv (default 127.0.0.1 instead of '').
Kept on purpose: one recv(1024) taken as one message, send() for the
welcome line, no SO_REUSEADDR, sys.exit() (status 0) when bind fails.

usage: seed004_ok_thread.py PORT [HOST]
"""
import socket
import sys
from _thread import *

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


def clientthread(conn):
    conn.send(b'Welcome to the server. Type something and hit enter\n')

    while True:

        data = conn.recv(1024)
        reply = b'OK...' + data
        if not data:
            break

        conn.sendall(reply)

    conn.close()


while 1:
    conn, addr = s.accept()
    print('Connected with ' + addr[0] + ':' + str(addr[1]))

    start_new_thread(clientthread, (conn,))

s.close()
