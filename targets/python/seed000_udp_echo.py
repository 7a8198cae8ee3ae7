#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed 000's UDP echo server, ported to Python 3 with as few changes as
possible: every datagram is sent back to its sender.

Changes from the seed: print() calls, the port and bind address come
from argv (default 127.0.0.1 instead of '' = every interface).
Kept on purpose: recvfrom(1024), so a longer datagram comes back cut to
its first 1024 bytes.

usage: seed000_udp_echo.py PORT [HOST]
"""
import socket
import sys

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((HOST, PORT))
while True:
    data, addr = s.recvfrom(1024)
    print('接收到%s的连接' % str(addr))
    s.sendto(data, addr)
