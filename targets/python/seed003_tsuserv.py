#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 003's UDP timestamp server (the book's tsUserv.py, the UDP
counterpart of tsTserv.py), ported to Python 3 with as few changes as
possible: each datagram DATA gets '[CTIME] DATA' back.

Changes: print() calls; the reply built as bytes; the port and bind
address come from argv (default 127.0.0.1 instead of '').
Kept on purpose: recvfrom(BUFSIZ) with BUFSIZ = 1024, so a longer
datagram is answered for its first 1024 bytes only.

usage: seed003_tsuserv.py PORT [HOST]
"""
import sys
from socket import *
from time import ctime

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 21567
BUFSIZ = 1024
ADDR = (HOST, PORT)

udpSerSock = socket(AF_INET, SOCK_DGRAM)
udpSerSock.bind(ADDR)

while True:
    print('waiting for message...')
    data, addr = udpSerSock.recvfrom(BUFSIZ)
    udpSerSock.sendto(b'[%s] %s' % (ctime().encode(), data), addr)
    print('...received from and returned to:', addr)

udpSerSock.close()
