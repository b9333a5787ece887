"""An httpx transport on urllib3 connection pools: the client keeps httpx's API, bodies are read in one call.

httpx's default transport (httpcore + h11) hands a response body up in 64 KiB chunks through several
Python layers; for a 2 MB spend-log page that is about 2.5 ms of CPU, three times urllib3's single
buffered read (``docs/client.md``). Concurrent extraction is CPU-bound on that cost, so the client reads
bodies through this transport. It covers what the client uses: plain GETs, no redirects, no retries
(the ``Fetcher`` retries), httpx's timeouts and TLS settings. urllib3 errors become httpx's, so callers
see the same exceptions as with httpx's own transport.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError


@contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise urllib3 errors as the httpx errors httpx's own transport would raise."""
    try:
        yield
    except (NewConnectionError, ProxyError, SSLError) as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except ConnectTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc), request=request) from exc
    except (ReadTimeoutError, Urllib3TimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc), request=request) from exc
    except ProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except LocationParseError as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except HTTPError as exc:
        raise httpx.TransportError(str(exc), request=request) from exc
    except OSError as exc:
        raise httpx.ReadError(str(exc), request=request) from exc


class _BodyStream(httpx.SyncByteStream):
    """The whole body as one chunk, read with a single buffered call; the connection returns to the pool."""

    def __init__(self, response: urllib3.BaseHTTPResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request
        self._consumed = False

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors(self._request):
            body = self._response.read(decode_content=False)
        self._consumed = True
        if body:
            yield body

    def close(self) -> None:
        if not self._consumed:
            self._response.close()  # an unread body would be read as the next response on this connection
        self._response.release_conn()


class Urllib3Transport(httpx.BaseTransport):
    """Sends httpx requests through a ``urllib3.PoolManager`` keeping ``pool_size`` connections per host."""

    def __init__(self, pool_size: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max(1, pool_size),
            block=False,
            retries=False,
            ssl_context=ssl_context or httpx.create_ssl_context(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        with _httpx_errors(request):
            response = self._pool.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=dict(request.headers),
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                timeout=urllib3.Timeout(connect=timeout.get("connect"), read=timeout.get("read")),
            )
        try:
            return httpx.Response(
                status_code=response.status,
                # http.client decoded the header bytes as latin-1; hand httpx the original bytes
                headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()],
                stream=_BodyStream(response, request),
                extensions={
                    "http_version": b"HTTP/1.1",
                    "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
                },
            )
        except BaseException:
            response.close()
            response.release_conn()
            raise

    def close(self) -> None:
        self._pool.clear()
