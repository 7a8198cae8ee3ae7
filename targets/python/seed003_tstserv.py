#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 003's timestamp server (the book's tsTserv.py, which the seed
describes and is cut off before listing), ported to Python 3 with as
few changes as possible: one client at a time; each recv(1024) gets
'[CTIME] DATA' back.

Changes: print() calls; the reply built as bytes; the port and bind
address come from argv (default 127.0.0.1 instead of '').
Kept on purpose: one recv(BUFSIZ) taken as one message, send() instead
of sendall(), listen(5), no SO_REUSEADDR.

usage: seed003_tstserv.py PORT [HOST]
"""
import sys
from socket import *
from time import ctime

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 21567
BUFSIZ = 1024
ADDR = (HOST, PORT)

tcpSerSock = socket(AF_INET, SOCK_STREAM)
tcpSerSock.bind(ADDR)
tcpSerSock.listen(5)

while True:
    print('waiting for connection...')
    tcpCliSock, addr = tcpSerSock.accept()
    print('...connected from:', addr)

    while True:
        data = tcpCliSock.recv(BUFSIZ)
        if not data:
            break
        tcpCliSock.send(b'[%s] %s' % (ctime().encode(), data))

    tcpCliSock.close()
tcpSerSock.close()
