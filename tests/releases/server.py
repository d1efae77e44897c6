#!/usr/bin/env python3
# A small HTTP server for the WAR download tests: serves a directory on
# 127.0.0.1 (a free port, written to --port-file) and, unlike
# http.server's SimpleHTTPRequestHandler, honours "Range: bytes=N-[M]" so
# a resumed download can be tested.  Paths under /norange/ ignore Range
# (answer 200 with the whole file), as some servers and proxies do.
# Paths under /trickle/ are a mirror that trickles: a large body, one byte
# every 2 s, for the stall timeouts.
# Every request is logged as "METHOD PATH RANGE" to --log.
import argparse
import http.server
import os
import re
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self):
        with open(self.server.logpath, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path,
                                    self.headers.get("Range", "-")))

    def send_plain(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.note()
        path = self.path.split("?", 1)[0]
        if path.startswith("/trickle/"):
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            for _ in range(150):  # 5 minutes at most
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                time.sleep(2)
            return
        norange = path.startswith("/norange/")
        if norange:
            path = path[len("/norange"):]
        full = os.path.realpath(os.path.join(self.server.root,
                                             path.lstrip("/")))
        if not full.startswith(self.server.root + os.sep) or \
                not os.path.isfile(full):
            self.send_plain(404, b"not found\n")
            return
        size = os.path.getsize(full)
        start, end = 0, size - 1
        code = 200
        rng = self.headers.get("Range")
        if rng and not norange:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
            if not m:
                self.send_plain(400, b"bad range\n")
                return
            start = int(m.group(1))
            if m.group(2):
                end = min(int(m.group(2)), size - 1)
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            code = 206
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if code == 206:
            self.send_header("Content-Range",
                             "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(full, "rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(65536, left))
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return
                left -= len(chunk)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that stop mid-transfer (the abort and size-limit tests)
        # are expected; anything else is still reported.
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.root = os.path.realpath(a.root)
    srv.logpath = a.log
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
