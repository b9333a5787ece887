"""The HTTP server: LiteLLM-compatible routes over a synthetic Dataset, on a background thread."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import random
import socket
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipeline.demo_gateway import daily, spend_logs
from pipeline.demo_gateway.catalog import KEYS
from pipeline.demo_gateway.config import FaultConfig, GatewayConfig
from pipeline.demo_gateway.dataset import Dataset, build_dataset
from pipeline.demo_gateway.errors import ApiError, detail_error, openai_error
from pipeline.demo_gateway.faults import FaultDecision, FaultState
from pipeline.demo_gateway.listing import key_list, model_info, team_list

log = logging.getLogger(__name__)

DEMO_HEADER = "x-litellm-usage-demo"
ROUTES = ("/team/daily/activity", "/spend/logs/v2", "/v2/team/list", "/key/list", "/v2/model/info")


Body = bytes | list[bytes | memoryview]
"""A response body: bytes, or buffers sent in order with one gather write per ``IOV_BATCH``."""
IOV_BATCH = 512


def _send_all(sock: socket.socket, parts: list[bytes | memoryview]) -> None:
    """Send every buffer of ``parts`` in order (``sendmsg`` gather writes, resumed after partial sends)."""
    views = [memoryview(p) for p in parts if len(p)]
    i = 0
    while i < len(views):
        sent = sock.sendmsg(views[i : i + IOV_BATCH])
        while sent:
            n = len(views[i])
            if sent < n:
                views[i] = views[i][sent:]
                break
            sent -= n
            i += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    """Listen backlog (socketserver's default of 5 drops SYNs when a client opens its pool at once, which
    stalls that connection for the kernel's 1 s SYN retry; uvicorn, which serves LiteLLM, uses 2048)."""

    def __init__(self, address: tuple[str, int], gateway: DemoGateway) -> None:
        self.gateway = gateway
        self._conn_lock = threading.Lock()
        self._conns: dict[threading.Thread, socket.socket] = {}
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        t = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            daemon=True,
            name="demo-gateway-conn",
        )
        with self._conn_lock:
            self._conns[t] = request
        t.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._conns.pop(threading.current_thread(), None)

    def close_connections(self, timeout: float) -> None:
        """Shut every open connection down and wait for its thread."""
        with self._conn_lock:
            conns = list(self._conns.items())
        for _, sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread, _ in conns:
            thread.join(timeout)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 120
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo gateway: " + format, *args)

    def do_GET(self) -> None:
        self.server.gateway._handle(self)

    def _method_not_allowed(self) -> None:
        self._send(405, b'{"detail":"Method Not Allowed"}', {})

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    def _send(self, status: int, body: Body, headers: dict[str, str], length: int | None = None) -> None:
        parts = [body] if isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(sum(map(len, parts)) if length is None else length))
        self.send_header(DEMO_HEADER, "1")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if len(parts) == 1:
            self.wfile.write(parts[0])
        else:
            _send_all(self.connection, parts)


class DemoGateway:
    """A running demo gateway; use ``DemoGateway.start(config)`` as a context manager."""

    def __init__(self, config: GatewayConfig, dataset: Dataset) -> None:
        self.config = config
        self.dataset = dataset
        self.api_key = config.api_key
        self._faults = FaultState(config.faults)
        self._seq = itertools.count(1)
        self._grow_seq = itertools.count(1)
        self._stopping = threading.Event()
        self._page_cache: dict[tuple[Any, ...], bytes] = {}
        self._server = _Server((config.host, config.port), self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="demo-gateway",
        )
        self._stopped = False

    @classmethod
    def start(cls, config: GatewayConfig | None = None) -> DemoGateway:
        """Build the dataset, bind the socket and serve on a background thread."""
        config = config or GatewayConfig()
        dataset = build_dataset(config)
        gateway = cls(config, dataset)
        if config.prerendered:
            gateway._spend_store.prerender()
        gateway._thread.start()
        return gateway

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    @faults.setter
    def faults(self, value: FaultConfig) -> None:
        self._faults = FaultState(value)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        """Stop serving, close every connection and join the threads (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.close_connections(5)
        self._server.server_close()

    def __enter__(self) -> DemoGateway:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DemoGateway(base_url={self.base_url!r})"

    @property
    def _spend_store(self) -> spend_logs.SpendLogStore:
        store = getattr(self, "_spend_store_obj", None)
        if store is None:
            store = spend_logs.SpendLogStore(self.dataset.spend_logs, self.config.spend_logs_count_cap)
            self._spend_store_obj = store
        return store

    def _handle(self, h: _Handler) -> None:
        seq = next(self._seq)
        split = urlsplit(h.path)
        path = split.path.rstrip("/") or "/"
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        decision = self._faults.decide(path)
        if decision.drop:
            h.close_connection = True
            return
        if decision.delay_s and self._stopping.wait(decision.delay_s):
            h.close_connection = True
            return
        if decision.status is not None:
            self._send_fault(h, decision)
            return
        try:
            body = self._route(h, path, params, seq)
            status = 200
            headers: dict[str, str] = {}
        except ApiError as err:
            status, body, headers = err.status, err.render(), err.headers
        if self.config.page_latency_ms > 0 and status == 200:
            self._stopping.wait(self.config.page_latency_ms / 1000)
        if self._stopping.is_set():
            h.close_connection = True
            return
        if decision.truncate:
            whole = body if isinstance(body, bytes) else b"".join(body)
            body = whole[: max(len(whole) // 2, 1)]
        h._send(status, body, headers)

    def _send_fault(self, h: _Handler, d: FaultDecision) -> None:
        assert d.status is not None
        if d.status == 429:
            err = openai_error(429, "Demo gateway fault injection: rate limited", "rate_limit_error")
            h._send(429, err.render(), {"retry-after": d.retry_after or "1"})
        else:
            err = openai_error(
                d.status, f"Demo gateway fault injection: HTTP {d.status}", "internal_server_error"
            )
            h._send(d.status, err.render(), {})

    def _authenticate(self, h: _Handler, path: str) -> None:
        lite = h.headers.get("x-litellm-api-key")
        auth = h.headers.get("authorization")
        if lite is not None:
            key = lite[len("Bearer ") :] if lite.startswith("Bearer ") else lite
        elif auth is not None:
            if not auth.startswith("Bearer "):
                raise openai_error(
                    401,
                    "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.",
                    "auth_error",
                )
            key = auth[len("Bearer ") :]
        else:
            key = next((h.headers[n] for n in ("API-Key", "x-api-key") if h.headers.get(n) is not None), None)
            if key is None:
                raise openai_error(401, "Authentication Error, No api key passed in.", "auth_error")
        if key.strip() != self.api_key:
            raise openai_error(401, "Authentication Error, Invalid proxy server token passed", "auth_error")

    def _route(self, h: _Handler, path: str, params: dict[str, str], seq: int) -> Body:
        if path not in ROUTES:
            raise detail_error(404, "Not Found")
        self._authenticate(h, path)
        options = daily.RenderOptions(
            omit_optional_fields=self.faults.omit_optional_fields,
            extra_unknown_fields=self.faults.extra_unknown_fields,
        )
        handlers: dict[str, Callable[[], Body]] = {
            "/team/daily/activity": lambda: self._daily(params, options),
            "/spend/logs/v2": lambda: self._spend_logs(params, options, seq),
            "/v2/team/list": lambda: _json(team_list(self.dataset.teams, params)),
            "/key/list": lambda: _json(key_list(self.dataset.keys, self.dataset.deleted_keys, params)),
            "/v2/model/info": lambda: _json(model_info(self.dataset.models, params)),
        }
        return handlers[path]()

    def _daily(self, params: dict[str, str], options: daily.RenderOptions) -> bytes:
        q = daily.parse_query(params)
        end_day = self.dataset.end_day.isoformat()
        if self.faults.grow_today_between_pages and q.start_date <= end_day <= q.end_date:
            self._grow_today()
        store = self.dataset.daily_store
        if not self.config.prerendered:
            return _json(store.respond(q, options))
        cache_key = (q, options, store.version)
        cached = self._page_cache.get(cache_key)
        if cached is None:
            cached = self._page_cache[cache_key] = _json(store.respond(q, options))
        return cached

    def _grow_today(self) -> None:
        n = next(self._grow_seq)
        rnd = random.Random(self.config.seed * 31 + n)
        live = [k for k in KEYS if not k.deleted and k.active_until >= 1]
        key = live[n % len(live)]
        self.dataset.daily_store.append(
            {
                "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "date": self.dataset.end_day.isoformat(),
                "team_id": key.team_id,
                "api_key": key.token,
                "model": "",
                "custom_llm_provider": "",
                "mcp_namespaced_tool_name": f"demo_grow-tool_{n}",
                "endpoint": "/mcp/call_tool",
                "model_group": "",
                "spend": 0.001,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "cache_read_input_tokens": 0,
                "cache_creation_input_tokens": 0,
                "api_requests": 1,
                "successful_requests": 1,
                "failed_requests": 0,
                "total_response_time_ms": 400,
                "timed_requests": 1,
            }
        )

    def _spend_logs(self, params: dict[str, str], options: daily.RenderOptions, seq: int) -> Body:
        q = spend_logs.parse_query(params)
        return self._spend_store.respond_parts(q, options, seq, cache=self.config.prerendered)


def _json(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
