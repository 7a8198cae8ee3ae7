#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 002's greeting server, ported to Python 3 with as few changes as
possible: a thread per connection sends b'Welcome!', then answers each
recv(1024) with 'Hello, DATA!' one second later; b'exit' or EOF ends
the connection.

Changes from the seed: print() calls; str replies encoded to bytes;
bind() given the (host, port) tuple it needs (the seed passes two
arguments, which raises TypeError); the port and bind address come from
argv. The reply is the original tutorial's 'Hello, %s!': seed 002's
copy lost the space and the '!' ('Hello,%s'), and a port keeping that
would fail every reply check and hide the flaws below.
Kept on purpose: one recv(1024) taken as one message, time.sleep(1)
before each reply, send() instead of sendall(), decode('utf-8') of
whatever arrived, listen(5), no SO_REUSEADDR.

usage: seed002_hello.py PORT [HOST]
"""
import socket
import sys
import threading
import time

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 9999
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(5)
print("Waiting for connection")


def tcplink(sock, addr):
    print('Accept new connection from %s:%s..' % addr)
    sock.send(b'Welcome!')
    while True:
        data = sock.recv(1024)
        time.sleep(1)
        if not data or data.decode('utf-8') == 'exit':
            break
        sock.send(('Hello, %s!' % data.decode('utf-8')).encode('utf-8'))
    sock.close()
    print('Connection from %s:%s closed' % addr)


while True:
    sock, addr = s.accept()
    t = threading.Thread(target=tcplink, args=(sock, addr))
    t.start()
