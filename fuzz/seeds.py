#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates the seed corpora of the libFuzzer harnesses, and the case
parser's dictionary, from what the repository already holds:

- fuzz_case_parser: every bundled case file, as it is;
- the handler harnesses and the line framer: the bytes the bundled cases
  of each profile write (or send), one seed per case, cut the way the
  case writes them, and the examples (inline code) of PROTOCOLS.md;
- fuzz_address: the addresses written in the project's documentation.

A handler seed starts with the header fuzz/fuzz_kit.h describes: flags,
arg, a 32-bit word, the cut count and the cut sizes.

    seeds.py SRC_DIR OUT_DIR      writes OUT_DIR/HARNESS/SEED files and
                                  OUT_DIR/fuzz_case_parser.dict
"""
import hashlib
import pathlib
import re
import struct
import sys

MAX_LEN = 4096  # libFuzzer's default -max_len: longer seeds would be cut
STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"')
TOKEN = re.compile(rb'\s*("(?:[^"\\]|\\.)*"|\S+)')
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"0": b"\0", b"a": b"\a", b"b": b"\b",
           b"f": b"\f", b"v": b"\v", b"e": b"\x1b", b"\\": b"\\", b'"': b'"', b"'": b"'",
           b"$": b"$"}

# Which harness each profile's cases seed, and the header flags for them.
PROFILES = {
    "echo-once": [("fuzz_handler_echo", 0)],
    "echo-iterative": [("fuzz_handler_echo", 0)],
    "echo-threaded": [("fuzz_handler_echo", 0)],
    "udp-echo": [("fuzz_handler_udp_echo", 0)],
    "hello": [("fuzz_handler_hello", 0x80), ("fuzz_line_framer", 0x80)],
    "timestamp": [("fuzz_handler_timestamp", 0x80), ("fuzz_line_framer", 0x80)],
    "timestamp-udp": [("fuzz_handler_timestamp", 0x82)],
    "ok-iterative": [("fuzz_handler_ok", 0x80), ("fuzz_line_framer", 0x80)],
    "ok-threaded": [("fuzz_handler_ok", 0x82), ("fuzz_line_framer", 0x80)],
}
CHUNK_FLAG = {"fuzz_handler_hello": 0x01, "fuzz_handler_ok": 0x01, "fuzz_handler_timestamp": 0x01}
UDP_PROFILES = {"udp-echo", "timestamp-udp"}  # one datagram per send: cut sizes 0..255

# PROTOCOLS.md sections (### headings) and the harnesses their examples seed.
SECTIONS = {
    "What every profile shares": ["fuzz_line_framer", "fuzz_handler_hello",
                                  "fuzz_handler_timestamp", "fuzz_handler_ok"],
    "echo-once": ["fuzz_handler_echo", "fuzz_handler_udp_echo"],
    "udp-echo": ["fuzz_handler_udp_echo"],
    "hello": ["fuzz_handler_hello", "fuzz_line_framer"],
    "timestamp": ["fuzz_handler_timestamp"],
    "ok-iterative": ["fuzz_handler_ok"],
    "ok-threaded": ["fuzz_handler_ok"],
}
ADDRESS = re.compile(r"(unix:[^\s`\"')]+|\[[0-9A-Fa-f:.]+\](?::\d+)?|"
                     r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?|\blocalhost(?::\d+)?)")


def unescape(body):
    """The bytes of a case-language string body; ${i} becomes 0."""
    out, i = bytearray(), 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b"\\" and body[i + 1:i + 2] == b"x":
            out += bytes.fromhex(body[i + 2:i + 4].decode())
            i += 4
        elif c == b"\\":
            out += ESCAPES.get(body[i + 1:i + 2], b"")
            i += 2
        elif body.startswith(b"${i}", i):
            out += b"0"
            i += 4
        else:
            out += c
            i += 1
    return bytes(out)


def data_terms(tokens):
    """Renders the DATA at the start of tokens (strings, hex, range, * N)."""
    out, i = bytearray(), 0
    while i < len(tokens):
        t = tokens[i]
        if t.startswith(b'"'):
            piece, i = unescape(t[1:-1]), i + 1
        elif t == b"hex" and i + 1 < len(tokens):
            piece, i = bytes.fromhex(tokens[i + 1][1:-1].decode()), i + 2
        elif t == b"range" and i + 2 < len(tokens):
            piece, i = bytes(range(int(tokens[i + 1]), int(tokens[i + 2]) + 1)), i + 3
        else:
            break
        count = 1
        if i + 1 < len(tokens) and tokens[i] == b"*":
            count, i = int(tokens[i + 1]), i + 2
        if piece:
            count = min(count, MAX_LEN // len(piece) + 1)
        out += piece * count
        if len(out) > MAX_LEN:
            break
    return bytes(out[:MAX_LEN])


def case_writes(text):
    """(framing chunk?, [bytes of each write or send]) of a case file."""
    writes, chunk = [], b"requires framing chunk" in text
    for line in text.splitlines():
        tokens = TOKEN.findall(line.split(b"#")[0] if b'"' not in line else line)
        if len(tokens) >= 3 and tokens[0] in (b"write", b"send"):
            writes.append(data_terms(tokens[2:]))
    return chunk, [w for w in writes if w]


def header(flags, cuts, arg=0, word=0x5a5a5a5a):
    cuts = cuts[:15]
    return bytes([flags, arg]) + struct.pack("<I", word) + bytes([len(cuts)] + cuts)


def put(out, harness, data):
    d = out / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data[:MAX_LEN])


def seed_cases(src, out):
    for case in sorted((src / "suite" / "cases").rglob("*.case")):
        text = case.read_bytes()
        put(out, "fuzz_case_parser", text)
        profile = case.relative_to(src / "suite" / "cases").parts[0]
        chunk, writes = case_writes(text)
        if not writes:
            continue
        stream = b"".join(writes)
        for harness, flags in PROFILES.get(profile, []):
            if profile in UDP_PROFILES:
                cuts = [min(len(w), 255) for w in writes]
            elif chunk:
                cuts, flags = [min(len(w), 256) - 1 for w in writes], flags | CHUNK_FLAG.get(harness, 0)
            else:
                cuts = []
            put(out, harness, header(flags, cuts) + stream)
            if harness == "fuzz_line_framer":
                put(out, harness, header(0, [0, 2, 6], arg=7) + stream)


def seed_protocols(src, out):
    """Each section's inline code, one example per line."""
    section = None
    spans = {}
    for line in (src / "PROTOCOLS.md").read_text().splitlines():
        if line.startswith("#"):
            section = next((s for s in SECTIONS if s in line), None)
        elif section:
            spans.setdefault(section, []).extend(re.findall(r"`([^`]+)`", line))
    for section, examples in spans.items():
        lines = "".join(e + "\n" for e in examples).encode()
        for harness in SECTIONS[section]:
            put(out, harness, header(0x80, []) + lines)
            put(out, harness, header(0x81, [len(e) - 1 for e in examples if e]) + lines)


def seed_addresses(src, out):
    found = set()
    for doc in ["README.md", "PROTOCOLS.md", "suite/README.md", "suite/LANGUAGE.md",
                "reference/addr.h", "targets/README.md"]:
        path = src / doc
        if path.exists():
            found.update(ADDRESS.findall(path.read_text()))
    for a in sorted(found):
        put(out, "fuzz_address", a.encode())


def case_dict(src):
    """Every quoted keyword of LANGUAGE.md's grammar, plus its symbols."""
    text = (src / "suite" / "LANGUAGE.md").read_text()
    grammar = text[text.index("## 9. Summary"):]
    words = sorted(set(re.findall(r'"([a-z][a-z-]*|[A-Z0-9]+)"', grammar)))
    words += ["case", "mappings", "rcvbuf", "*", "<=", "+", "${i}", "\\x", "\\n", "\\r\\n",
              "ms", "s", "min", "\"", "#", "\n", "  ", "end\n"]
    lines = []
    for w in dict.fromkeys(words):
        esc = "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else "\\x%02x" % ord(c)
                      for c in w)
        lines.append('"%s"' % esc)
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    src, out = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    if not (src / "suite" / "cases").is_dir():
        print("seeds.py: %s is not a sockspec checkout" % src, file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    seed_cases(src, out)
    seed_protocols(src, out)
    seed_addresses(src, out)
    (out / "fuzz_case_parser.dict").write_text(case_dict(src))
    for d in sorted(p for p in out.iterdir() if p.is_dir()):
        print("%-24s %4d seeds" % (d.name, len(list(d.iterdir()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
