#!/usr/bin/env python3
"""berth-http against a client nobody here wrote: Python's http.client.

Starts berth-http on the given backend (port chosen by the OS), then checks with
http.client that keep-alive requests are answered on one connection, that
"Connection: close" and HTTP/1.0 close it, that a malformed request gets 400 and
a closed connection, that an oversized header gets 431, and that SIGINT ends the
server with status 0. Every wait is bounded; the server is killed on any failure.
"""
import http.client
import signal
import socket
import subprocess
import sys
import time

TIMEOUT_S = 10


def start(binary, backend):
    proc = subprocess.Popen(
        [binary, "--backend", backend, "--listen", "127.0.0.1:0", "--on-handler-error", "ignore"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    prefix = "listening on 127.0.0.1:"
    if not line.startswith(prefix):
        proc.kill()
        raise AssertionError(f"unexpected first line from berth-http: {line!r}")
    return proc, int(line[len(prefix):])


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def keep_alive_requests_share_one_connection(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    sockets = set()
    for path in ("/", "/a", "/b?c=d"):
        conn.request("GET", path)
        resp = conn.getresponse()
        check(resp.status == 200, f"GET {path}: status {resp.status}")
        check(resp.read() == b"hello\n", f"GET {path}: body")
        check(not resp.will_close, f"GET {path}: the server closes a keep-alive connection")
        sockets.add(id(conn.sock))
    conn.request("POST", "/", body=b"x" * 1000, headers={"Content-Type": "text/plain"})
    resp = conn.getresponse()
    check(resp.status == 200 and resp.read() == b"hello\n", "POST with a body")
    check(len(sockets) == 1, "http.client reconnected: the connection was not kept")
    conn.close()


def connection_close_is_honoured(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    conn.request("GET", "/", headers={"Connection": "close"})
    resp = conn.getresponse()
    check(resp.status == 200 and resp.read() == b"hello\n", "GET with Connection: close")
    check(resp.will_close, "the response to Connection: close does not close")
    conn.close()


def raw_exchange(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as s:
        s.sendall(request)
        data = b""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                return data, True  # the server closed the connection
            data += chunk
        return data, False


def http_1_0_is_closed_after_one_answer(port):
    data, closed = raw_exchange(port, b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"hello\n"), f"HTTP/1.0: {data!r}")
    check(closed, "HTTP/1.0 without keep-alive left the connection open")


def malformed_request_gets_400_and_a_close(port):
    data, closed = raw_exchange(port, b"NOT HTTP AT ALL\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 400"), f"malformed request: {data!r}")
    check(closed, "the connection stayed open after a malformed request")


def oversized_header_gets_431(port):
    data, closed = raw_exchange(port, b"GET / HTTP/1.1\r\nX-Big: " + b"y" * 20000 + b"\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 431"), f"oversized header: {data[:80]!r}")
    check(closed, "the connection stayed open after an oversized header")


def pipelined_requests_are_answered_in_order(port):
    data, closed = raw_exchange(
        port, b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(data.count(b"HTTP/1.1 200 OK") == 2, f"pipelined: {data!r}")
    check(closed, "pipelined: the second request asked to close")


def main():
    binary, backend = sys.argv[1], sys.argv[2]
    proc, port = start(binary, backend)
    try:
        for test in (keep_alive_requests_share_one_connection, connection_close_is_honoured,
                     http_1_0_is_closed_after_one_answer, malformed_request_gets_400_and_a_close,
                     oversized_header_gets_431, pipelined_requests_are_answered_in_order):
            test(port)
            print(f"ok: {test.__name__} ({backend})")
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=TIMEOUT_S)
        check(status == 0, f"berth-http exited with {status} after SIGINT: {proc.stderr.read()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
