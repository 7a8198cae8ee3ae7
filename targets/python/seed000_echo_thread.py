#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 000's multi-threaded echo server, ported to Python 3 with as few
changes as possible: a daemon thread per connection, which echoes ONE
recv(1024) and closes.

Changes from the seed: print() calls, the port and bind address come
from argv (default 127.0.0.1 instead of '' = every interface).
Kept on purpose: one recv(1024) per connection, listen(5), no
SO_REUSEADDR, threads never joined.

usage: seed000_echo_thread.py PORT [HOST]
"""
import socket
import sys
import threading

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8088
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(5)
print('开始监听')


def runThread(conn):
    data = conn.recv(1024)
    print(data)
    conn.sendall(data)
    conn.close()


while True:
    conn, addr = s.accept()
    print('Connected with ' + addr[0] + ':' + str(addr[1]))
    t = threading.Thread(target=runThread, args=(conn,))
    t.daemon = True
    t.start()
