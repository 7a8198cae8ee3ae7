# SPDX-License-Identifier: MIT
"""The processes a test started, found by the tag in their environment.

A test sets SOCKSPEC_TEST_TAG=TAG in the environment of what it runs;
every process started from there (the runner, its targets, their
children) inherits it. After each test, none may be left: the ones found
are killed by PID and reported.
"""
import os
import signal


def tagged_processes(tag):
    """Live processes (not zombies) carrying the tag, this one excepted,
    as (pid, command line) pairs."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if f"SOCKSPEC_TEST_TAG={tag}".encode() in env and state != b"Z":
            found.append((int(pid), cmd.strip()))
    return found


def kill_left(tag):
    """SIGKILLs the processes still carrying the tag; returns them."""
    left = tagged_processes(tag)
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left
