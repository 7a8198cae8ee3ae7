#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The HTML report of real runs with failures (a greeting server that
keeps the CR of CR LF, a UDP echo server that truncates datagrams):
self-contained (nothing it could fetch), well-formed for html.parser,
a sequence diagram with the failure mark for every failed case and for
no other, every byte from the server escaped; then rendered by headless
Chromium, whose screenshot must show the page (not blank, the red
failure marks and the blue reply arrows there), and whose DOM after the
script ran shows the filters at work. Chromium is required
(scripts/deps.sh installs it): a missing browser fails the test.

usage: test_html.py BIN_DIR   (standard library only)
"""
import ctypes
import html.parser
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

BIN = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/bin"
SOCKSPEC = os.path.join(BIN, "sockspec")
SCALE = os.environ.get("SOCKSPEC_TEST_SCALE", "1")
FORBIDDEN = ("src=", "http://", "https://", "@import", "url(")


class Page(html.parser.HTMLParser):
    """What the checks need from the report: the verdict of every case
    row, and per failure section its diagrams and their marks."""

    VOID = {"meta", "input", "br", "hr", "img", "link", "rect", "line", "path"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.rows, self.sections = [], {}, []
        self.row, self.cell, self.cells = None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        cls = a.get("class") or ""
        if tag == "section" and cls == "failure":
            self.sections.append({"id": a.get("id"), "verdict": a.get("data-verdict"),
                                  "svgs": 0, "fail_marks": 0, "crosses": 0, "arrows": 0,
                                  "title": ""})
        elif self.sections and "section" in self.stack:
            s = self.sections[-1]
            s["svgs"] += tag == "svg"
            s["fail_marks"] += tag == "g" and cls == "fail" and "svg" in self.stack
            s["crosses"] += tag == "path" and cls == "x"
            s["arrows"] += tag == "g" and cls in ("send", "recv", "hot")
        if tag == "tr" and "data-verdict" in a:
            self.row, self.cells = a["data-verdict"], []
        if tag == "td" and self.row:
            self.cell = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            raise AssertionError(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        self.stack.pop()
        if tag == "td" and self.row is not None:
            self.cells.append(self.cell)
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.rows[self.cells[1]] = self.row
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.sections and "h3" in self.stack:
            self.sections[-1]["title"] += data


def run_report(tmp, name, *args):
    path = os.path.join(tmp, name)
    proc = subprocess.run([SOCKSPEC, "run", "--timeout-scale", SCALE, "--format", "html",
                           "--output", path, *args], capture_output=True, timeout=120)
    with open(path, "rb") as f:
        return proc.returncode, f.read()


def children_of_session(marker):
    """PIDs of live processes whose command line holds marker."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{pid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmd and state != b"Z":
            found.append(int(pid))
    return found


def reap_orphans():
    """Chromium's helpers re-parent to us (a child subreaper): reap them."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def chromium(profile_dir, *args):
    """Headless Chromium with args, a profile of its own in profile_dir;
    nothing of it outlives the call. Returns (status, stdout, stderr)."""
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(binary, os.X_OK):
        raise AssertionError("chromium is missing: scripts/deps.sh installs it (Debian chromium)")
    cmd = [binary, "--headless", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={profile_dir}", *args]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        out, err = b"", b"timed out after 90 s"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        deadline = time.monotonic() + 10
        while True:
            left = children_of_session(profile_dir)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            reap_orphans()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


class Shown(html.parser.HTMLParser):
    """The DOM Chromium dumps after the script ran: which elements that
    carry a verdict are hidden, and whether the filter form is."""

    def __init__(self):
        super().__init__()
        self.shown, self.hidden, self.form_hidden, self.ids = [], [], None, {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "filters":
            self.form_hidden = "hidden" in a
        if "data-verdict" in a:
            self.current = [tag, a.get("id"), a["data-verdict"], a["data-family"]]
            (self.hidden if "hidden" in a else self.shown).append(self.current)
        elif tag == "a" and self.current and self.current[0] == "tr":
            self.current.append(a.get("href"))


def png_pixels(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif ftype == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        else:
            assert ftype == 0, f"PNG filter {ftype}"
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if hasattr(ctypes, "CDLL"):
            # Chromium's helpers that outlive their parent become ours, to reap.
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        cls.tmp = tempfile.mkdtemp(prefix="sockspec-html-")
        cls.hello_status, cls.hello = run_report(
            cls.tmp, "hello.html", "--profile", "hello", "--case", "framing/*", "--case",
            "exit/*", "--target", os.path.join(BIN, "bad-hello") +
            " --defect keeps-cr --delay 0.1 --port {port}")
        cls.udp_status, cls.udp = run_report(
            cls.tmp, "udp.html", "--profile", "udp-echo", "--case", "limits/*", "--target",
            os.path.join(BIN, "bad-udp-echo") + " --defect truncate --port {port}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check_page(self, data, failing):
        text = data.decode("utf-8")  # strict: invalid UTF-8 would raise
        for word in FORBIDDEN:
            self.assertNotIn(word, text.lower(), f"the report would fetch something: {word}")
        self.assertIsNone(re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text),
                          "a raw control character in the report")
        page = Page()
        page.feed(text)
        page.close()
        self.assertEqual(page.stack, [], "unclosed elements")
        self.assertEqual({k for k, v in page.rows.items() if v in ("fail", "error")}, failing)
        self.assertEqual(len(page.sections), len(failing))
        for s in page.sections:
            self.assertEqual((s["svgs"], s["fail_marks"], s["crosses"]), (1, 1, 1), s)
            self.assertGreater(s["arrows"], 1, s)
        self.assertEqual({s["title"].split()[1] for s in page.sections}, failing)
        return text

    def test_hello_report(self):
        self.assertEqual(self.hello_status, 1)
        text = self.check_page(self.hello, {"framing/crlf", "exit/exit-crlf"})
        # the reply the message quotes is the red arrow, with its bytes escaped
        self.assertIn('<g class="hot"><title>c1 read 15 bytes: &quot;Hello, alice\\r!\\n&quot;'
                      "</title>", text)
        self.assertIn(">FAIL at suite/cases/hello/framing/crlf.case:15</text>", text)

    def test_udp_report(self):
        self.assertEqual(self.udp_status, 1)
        text = self.check_page(self.udp, {"limits/datagram-1025", "limits/datagram-8192",
                                          "limits/datagram-65507"})
        self.assertIn('<g class="recv"><title>u datagram 1024 bytes: &quot;0123456789abcdef',
                      text)
        self.assertIn(">udp socket ready</text>", text)

    def dump_dom(self, query):
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.tmp)
        status, out, err = chromium(profile, "--dump-dom",
                                    "file://" + os.path.join(self.tmp, "hello.html") + query)
        self.assertEqual(children_of_session(profile), [], "chromium left processes behind")
        self.assertEqual(status, 0, err[-2000:])
        dom = Shown()
        dom.feed(out)
        return dom

    def test_chromium_runs_the_filters(self):
        dom = self.dump_dom("")
        self.assertIs(dom.form_hidden, False, "the script did not show the filters")
        self.assertEqual(dom.hidden, [])
        self.assertGreater(len(dom.shown), 10)
        # a link may set them: failures of one family only
        page = Page()
        page.feed(self.hello.decode())
        crlf = [s["id"] for s in page.sections if s["title"].split()[1] == "framing/crlf"]
        self.assertEqual(len(crlf), 1)
        dom = self.dump_dom("?verdict=fail,error&family=framing")
        self.assertIs(dom.form_hidden, False)
        self.assertEqual(sorted(map(tuple, dom.shown)),
                         [("section", crlf[0], "fail", "framing"),
                          ("tr", None, "fail", "framing", "#" + crlf[0])])
        self.assertGreater(len(dom.hidden), 10)

    def test_chromium_screenshot(self):
        page = os.path.join(self.tmp, "hello.html")
        png = os.path.join(self.tmp, "hello.png")
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.tmp)
        status, _, err = chromium(profile, "--hide-scrollbars", "--window-size=1280,2400",
                                  f"--screenshot={png}", "file://" + page)
        self.assertEqual(children_of_session(profile), [], "chromium left processes behind")
        self.assertEqual(status, 0, err[-2000:])
        with open(png, "rb") as f:
            width, height, bpp, rows = png_pixels(f.read())
        self.assertEqual((width, height), (1280, 2400))
        colours, ink, red, blue = set(), 0, 0, 0
        for row in rows:
            for x in range(0, width * bpp, bpp):
                r, g, b = row[x], row[x + 1], row[x + 2]
                colours.add((r, g, b))
                ink += r < 235 or g < 235 or b < 235
                red += r > 180 and g < 90 and b < 90
                blue += b > 180 and r < 60 and g < 140
        total = width * height
        self.assertGreater(ink / total, 0.03, f"{ink} of {total} pixels not white")
        self.assertGreater(len(colours), 64, "too few colours for text, tables and a diagram")
        self.assertGreater(red, 500, "no red failure marks")
        self.assertGreater(blue, 200, "no blue reply arrows")


if __name__ == "__main__":
    unittest.main(verbosity=2)
