"""A minimal HTTP/1.1 server on asyncio streams serving a replica corpus.

GET and HEAD, keep-alive (``Connection: close`` honoured), Content-Length,
loopback only. It runs in a background thread with its own event loop, so a
test or a crawl in the main thread can use it; pages are rendered on demand
with a small LRU cache. Every request goes through a :class:`FaultPlan`.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, OrderedDict
from email.utils import formatdate

from .faults import HANDLERS, FaultContext, FaultPlan
from .generator import Corpus
from .render import Response, Route, render, resolve

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ReplicaServer:
    """Serve *corpus* on http://127.0.0.1:PORT (port 0 = any free port).

    ``faults=None`` uses the corpus's built-in plan (a handful of pages answer
    500 once); pass ``FaultPlan.none()`` for a server without faults.
    Usable as a context manager: ``with ReplicaServer(Corpus()) as srv: srv.base_url``.
    """

    idle_timeout = 30.0  # seconds a keep-alive connection may stay silent

    def __init__(self, corpus: Corpus, host: str = "127.0.0.1", port: int = 0,
                 faults: FaultPlan | None = None, cache_size: int = 512):
        if host not in _LOOPBACK:
            raise ValueError("the replica binds loopback addresses only")
        self.corpus, self.host, self.port = corpus, host, port
        self.faults = FaultPlan.default(corpus) if faults is None else faults
        #: (method, request target) of every request, in order.
        self.request_log: list[tuple[str, str]] = []
        #: Requests per canonical page key (what fault rules count).
        self.request_counts: Counter[str] = Counter()
        #: Keys of the pages served mixing UTF-8 and windows-1252 fragments.
        self.mixed_pages: set[str] = set()
        self._cache: OrderedDict[tuple[str, str, str], Response] = OrderedDict()
        self._cache_size = cache_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.Task] = set()

    # --- lifecycle ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL once listening."""
        if self._thread is not None:
            return self.base_url
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self.host, self.port, reuse_address=True, backlog=1024))
            except BaseException as exc:  # report bind errors to start()'s caller
                errors.append(exc)
                ready.set()
                loop.close()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"replica-{self.corpus.site}-{self.corpus.seed}", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread = None
            raise errors[0]
        return self.base_url

    def stop(self) -> None:
        """Close the listener and every open connection; join the thread."""
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = self._loop = self._server = None

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._conns):
            task.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)
        await self._server.wait_closed()

    def __enter__(self) -> "ReplicaServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset_state(self) -> None:
        """Forget requests seen (so once-faults fire again), the log and the page cache."""
        self.request_log.clear()
        self.request_counts.clear()
        self.mixed_pages.clear()
        self._cache.clear()

    # --- HTTP ---------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._conns.add(task)
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), self.idle_timeout)
                if not line:
                    break
                if line in (b"\r\n", b"\n"):
                    continue  # tolerated between pipelined requests
                request = line.decode("latin-1").split()
                headers = await self._read_headers(reader)
                if len(request) != 3 or headers is None:
                    await self._write(writer, Response(400, "text/plain", b"bad request\n"), False, False)
                    break
                method, target, version = request
                conn = headers.get("connection", "").lower()
                keep = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
                if not await self._serve(method.upper(), target, headers, keep, writer):
                    break
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass  # idle keep-alive, client gone, or an over-long line
        except asyncio.CancelledError:
            pass
        finally:
            self._conns.discard(task)
            writer.close()

    @staticmethod
    async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str] | None:
        headers: dict[str, str] = {}
        for _ in range(100):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                length = headers.get("content-length", "0")
                if not length.isdigit():
                    return None
                if int(length):
                    await reader.readexactly(int(length))  # a body we ignore
                return headers
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                return None
            headers[name.strip().lower()] = value.strip()
        return None

    async def _serve(self, method: str, target: str, headers: dict[str, str], keep: bool,
                     writer: asyncio.StreamWriter) -> bool:
        self.request_log.append((method, target))
        if method not in ("GET", "HEAD"):
            return await self._write(writer, Response(405, "text/plain", b"GET or HEAD\n"), False, keep)
        route = resolve(self.corpus, target)
        self.request_counts[route.key] += 1
        count = self.request_counts[route.key]
        host = headers.get("host") or f"{self.host}:{self.port}"
        head = method == "HEAD"

        def normal() -> tuple[int, str, bytes]:
            r = self._page(route, host)
            return r.status, r.content_type, r.body

        async def respond() -> bool:
            return await self._write(writer, self._page(route, host), head, keep)

        async def send(status: int, content_type: str, body: bytes) -> bool:
            return await self._write(writer, Response(status, content_type, body), head, keep)

        fault = self.faults.fault_for(route.key, count)
        if fault is None:
            return await respond()
        ctx = FaultContext(method, target, route.key, count, keep, writer, normal, respond, send, plan=self.faults)
        return await HANDLERS[fault](ctx)

    def _page(self, route: Route, host: str) -> Response:
        key = (route.kind, route.key, host)
        page = self._cache.get(key)
        if page is not None:
            self._cache.move_to_end(key)
            return page
        page = render(self.corpus, route, host)
        if page.mixed:
            self.mixed_pages.add(route.key)
        self._cache[key] = page
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return page

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, resp: Response, head: bool, keep: bool) -> bool:
        lines = [
            f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Unknown')}",
            f"Date: {formatdate(usegmt=True)}",
            "Server: newsagg-replica",
            f"Content-Type: {resp.content_type}",
            f"Content-Length: {len(resp.body)}",
            f"Connection: {'keep-alive' if keep else 'close'}",
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head:
            writer.write(resp.body)
        await writer.drain()
        return keep
