"""A minimal HTTP/1.1 server on asyncio streams serving a replica corpus.

GET and HEAD, keep-alive, Content-Length, loopback only, in a background
thread with its own event loop; pages rendered on demand (small LRU cache),
every request through a :class:`FaultPlan`. ``ipv6=True`` also listens on
``[::1]``; ``twin_hosts=(entry, canonical)`` answers like a live site forcing
its canonical host. newsagg/replica/README.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import re
import socket
import threading
from collections import Counter, OrderedDict
from email.utils import formatdate

from .faults import HANDLERS, FaultContext, FaultPlan
from .generator import Corpus
from .render import Response, Route, render, resolve

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    301: "Moved Permanently",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_ARTICLE_HREF = re.compile(rb"^/fr/[a-z0-9]+/\d+(?:[?#]|$)")


def host_of(host_header: str) -> str:
    """The host name of a Host header (``[::1]:8000`` -> ``::1``), lower-case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ReplicaServer:
    """Serve *corpus* on http://127.0.0.1:PORT (port 0 = any free port).

    ``faults=None`` uses the corpus's built-in plan (a handful of pages answer
    500 once); pass ``FaultPlan.none()`` for a server without faults.
    Usable as a context manager: ``with ReplicaServer(Corpus()) as srv: srv.base_url``.
    """

    idle_timeout = 30.0  # seconds a keep-alive connection may stay silent

    def __init__(
        self,
        corpus: Corpus,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        cache_size: int = 512,
        ipv6: bool = False,
        twin_hosts: tuple[str, str] | None = None,
    ):
        if host not in _LOOPBACK:
            raise ValueError("the replica binds loopback addresses only")
        if twin_hosts is not None and (len(twin_hosts) != 2 or host_of(twin_hosts[0]) == host_of(twin_hosts[1])):
            raise ValueError("twin_hosts: two different host names (entry, canonical)")
        self.corpus, self.host, self.port = corpus, host, port
        #: Also listen on ::1 (same port) when the main host is 127.0.0.1 / localhost.
        self.ipv6 = ipv6
        #: (entry, canonical) host names: entry redirects to canonical, canonical links to entry.
        self.twin_hosts = (host_of(twin_hosts[0]), host_of(twin_hosts[1])) if twin_hosts else None
        #: (Host header, request target) of every request redirected to the canonical host.
        self.redirects: list[tuple[str, str]] = []
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
        self._server6: asyncio.AbstractServer | None = None  # the ::1 listener (ipv6=True)
        self._conns: set[asyncio.Task] = set()

    # --- lifecycle ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        return self.url_for(self.host)

    def url_for(self, host: str) -> str:
        """The root URL of this server under another host name (``localhost``, ``::1``, ``www.x.test``)."""
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def entry_url(self) -> str:
        """With ``twin_hosts``: the root a user gives (it redirects); else :attr:`base_url`."""
        return self.url_for(self.twin_hosts[0]) if self.twin_hosts else self.base_url

    @property
    def canonical_url(self) -> str:
        """With ``twin_hosts``: the root the records are on; else :attr:`base_url`."""
        return self.url_for(self.twin_hosts[1]) if self.twin_hosts else self.base_url

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
                self._server = loop.run_until_complete(self._listen())
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

    async def _listen(self) -> asyncio.AbstractServer:
        if not self.ipv6 or self.host == "::1":
            return await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True, backlog=1024)
        # One port on both loopbacks: a free IPv4 port, then ::1 bound to the
        # same one (another process may hold it there: try another port).
        for _ in range(20):
            v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                for sock in (v4, v6):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                v4.bind(("127.0.0.1", self.port))
                v6.bind(("::1", v4.getsockname()[1]))
            except OSError as exc:
                v4.close()
                v6.close()
                if exc.errno != errno.EADDRINUSE or self.port:
                    raise
                continue
            self._server6 = await asyncio.start_server(self._handle, sock=v6, backlog=1024)
            return await asyncio.start_server(self._handle, sock=v4, backlog=1024)
        raise OSError(errno.EADDRINUSE, "no port free on both 127.0.0.1 and ::1")

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
        servers = [self._server] + ([self._server6] if self._server6 is not None else [])
        for server in servers:
            server.close()
        for task in list(self._conns):
            task.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)
        for server in servers:
            await server.wait_closed()
        self._server6 = None

    def __enter__(self) -> ReplicaServer:
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
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
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

    async def _serve(
        self, method: str, target: str, headers: dict[str, str], keep: bool, writer: asyncio.StreamWriter
    ) -> bool:
        self.request_log.append((method, target))
        if method not in ("GET", "HEAD"):
            return await self._write(writer, Response(405, "text/plain", b"GET or HEAD\n"), False, keep)
        host = headers.get("host") or f"{self.host}:{self.port}"
        head = method == "HEAD"
        if self.twin_hosts and host_of(host) == self.twin_hosts[0]:  # the twin forcing its canonical host
            self.redirects.append((host, target))
            location = self.canonical_url + (target if target.startswith("/") else "/")
            return await self._write(writer, Response(301, "text/html", b""), head, keep, [("Location", location)])
        route = resolve(self.corpus, target)
        self.request_counts[route.key] += 1
        count = self.request_counts[route.key]

        def normal() -> tuple[int, str, bytes]:
            r = self._served(route, host)
            return r.status, r.content_type, r.body

        async def respond() -> bool:
            return await self._write(writer, self._served(route, host), head, keep)

        async def send(status: int, content_type: str, body: bytes) -> bool:
            return await self._write(writer, Response(status, content_type, body), head, keep)

        def page(other: str) -> tuple[int, str, bytes]:
            r = self._served(resolve(self.corpus, other), host)
            return r.status, r.content_type, r.body

        fault = self.faults.fault_for(route.key, count)
        if fault is None:
            return await respond()
        ctx = FaultContext(
            method, target, route.key, count, keep, writer, normal, respond, send, self.faults, self.corpus, page
        )
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

    def _served(self, route: Route, host: str) -> Response:
        """The page as served under *host*: on the canonical twin, linking the entry form."""
        page = self._page(route, host)
        if self.twin_hosts and host_of(host) == self.twin_hosts[1]:
            page = dataclasses.replace(page, body=self._link_twin(page.body))
        return page

    def _link_twin(self, body: bytes) -> bytes:
        """Point the page's article links (all) and other ``/fr/`` links (every
        other one) at the entry host form, absolutely: a site linking its twin."""
        entry = self.entry_url.encode()
        # A root-relative href, or one absolute on the canonical host (group 2: the path).
        on_site = re.compile(
            rb"""(href=["'])(?:""" + re.escape(self.canonical_url.encode()) + rb""")?(/fr/[^"'\s]*)""", re.IGNORECASE
        )
        seen = [0]

        def swap(m: re.Match) -> bytes:
            seen[0] += 1
            if _ARTICLE_HREF.match(m.group(2)) or seen[0] % 2:
                return m.group(1) + entry + m.group(2)
            return m.group(0)

        return on_site.sub(swap, body)

    @staticmethod
    async def _write(
        writer: asyncio.StreamWriter, resp: Response, head: bool, keep: bool, extra: list[tuple[str, str]] = ()
    ) -> bool:
        lines = [
            f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Unknown')}",
            f"Date: {formatdate(usegmt=True)}",
            "Server: newsagg-replica",
            f"Content-Type: {resp.content_type}",
            *(f"{k}: {v}" for k, v in extra),
            f"Content-Length: {len(resp.body)}",
            f"Connection: {'keep-alive' if keep else 'close'}",
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head:
            writer.write(resp.body)
        await writer.drain()
        return keep
