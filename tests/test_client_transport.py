"""The urllib3-backed httpx transport: responses as httpx builds them, urllib3 failures as httpx errors."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from pipeline.litellm.http import default_transport
from pipeline.litellm.transport import Urllib3Transport

Reply = Callable[[socket.socket], None]


@contextmanager
def tcp_server(reply: Reply, greeting: bytes = b"") -> Iterator[tuple[str, list[int]]]:
    """A minimal HTTP/1.1 server on 127.0.0.1: ``reply`` answers every request read from a connection.

    ``greeting`` is sent as soon as a connection is accepted. Yields the base URL and a one-item list
    counting accepted connections.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted = [0]

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted[0] += 1
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.sendall(greeting)
            buf = b""
            while not stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
                while b"\r\n\r\n" in buf:
                    _, buf = buf.split(b"\r\n\r\n", 1)
                    reply(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join()
        listener.close()


def respond(body: bytes, *headers: str, status: str = "200 OK", length: int | None = None) -> Reply:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body) if length is None else length}", *headers]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    return lambda conn: conn.sendall(raw)


def client(base_url: str, timeout: float = 2.0) -> httpx.Client:
    return httpx.Client(base_url=base_url, transport=Urllib3Transport(4), timeout=timeout)


def test_status_headers_and_body_arrive_as_httpx_builds_them() -> None:
    reply = respond(b'{"ok": true}', "Retry-After: 3", "X-Tag: a", "X-Tag: b", status="429 Too Many Requests")
    with tcp_server(reply) as (url, accepted), client(url) as http:
        first = http.get("/spend/logs/v2", params={"page": "1", "start_date": "2026-03-01 00:00:00"})
        second = http.get("/spend/logs/v2", params={"page": "2"})
    assert (first.status_code, first.reason_phrase, first.json()) == (429, "Too Many Requests", {"ok": True})
    assert first.headers["retry-after"] == "3"
    assert first.headers.get_list("x-tag") == ["a", "b"]
    assert first.http_version == "HTTP/1.1"
    assert second.content == b'{"ok": true}'
    assert accepted[0] == 1, "the second request reuses the pooled connection"


def test_a_response_closed_unread_does_not_leak_into_the_next_one() -> None:
    with tcp_server(respond(b"x" * 300_000)) as (url, accepted), client(url) as http:
        with http.stream("GET", "/first"):
            pass
        assert http.get("/second").content == b"x" * 300_000
    assert accepted[0] == 2, "the unread connection is closed, not reused"


def test_non_ascii_header_bytes_pass_through_as_httpx_own_transport_keeps_them() -> None:
    reply = respond(b"{}", "X-Note: café")  # sent as UTF-8 bytes
    with tcp_server(reply) as (url, _), client(url) as http:
        response = http.get("/x")
    assert response.json() == {}
    assert response.headers.raw[-1] == (b"X-Note", "café".encode())


def test_content_encoding_is_decoded_by_httpx() -> None:
    body = gzip.compress(b'{"data": []}')
    with tcp_server(respond(body, "Content-Encoding: gzip")) as (url, _), client(url) as http:
        assert http.get("/x").json() == {"data": []}


def test_chunked_bodies_are_reassembled() -> None:
    chunks = [b'{"data": [', b"1, 2", b"]}"]
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    with tcp_server(lambda conn: conn.sendall(raw)) as (url, _), client(url) as http:
        assert http.get("/x").json() == {"data": [1, 2]}


def test_streamed_reads_return_the_whole_body() -> None:
    body = bytes(range(256)) * 20_000
    with tcp_server(respond(body)) as (url, _), client(url) as http, http.stream("GET", "/x") as response:
        assert b"".join(response.iter_bytes()) == body


def test_a_refused_connection_is_an_httpx_connect_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with client(f"http://127.0.0.1:{port}") as http, pytest.raises(httpx.ConnectError):
        http.get("/x")


def test_a_silent_server_is_an_httpx_read_timeout() -> None:
    silent = tcp_server(lambda conn: None)
    with silent as (url, _), client(url, timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        http.get("/x")


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(respond(b'{"data": [', length=100), id="body-shorter-than-content-length"),
        pytest.param(lambda conn: conn.shutdown(socket.SHUT_RDWR), id="closed-before-status-line"),
    ],
)
def test_a_dropped_connection_is_an_httpx_transport_error(reply: Reply) -> None:
    def reply_then_close(conn: socket.socket) -> None:
        reply(conn)
        conn.shutdown(socket.SHUT_RDWR)

    with (
        tcp_server(reply_then_close) as (url, _),
        client(url) as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.get("/x")


def test_the_client_uses_httpx_own_transport_when_a_proxy_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert isinstance(default_transport(4), Urllib3Transport), "NO_PROXY alone configures no proxy"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert default_transport(4) is None


def test_a_failed_tls_handshake_is_an_httpx_connect_error() -> None:
    plain = respond(b"not tls")
    server = tcp_server(plain, greeting=b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with (
        server as (url, _),
        client(url.replace("http:", "https:")) as http,
        pytest.raises(httpx.ConnectError),
    ):
        http.get("/x")
