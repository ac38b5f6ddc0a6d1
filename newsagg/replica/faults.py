"""Fault injection for the replica server: a plan (which page, when) + handlers (what).

Every request goes through ``plan.fault_for(key, count)`` where *key* is the
page's canonical path (``Route.key``: tracking queries and alternate listing
URLs map to one key) and *count* is how many requests that key has had in
this server process, this one included (1 = first). A non-None answer names a
handler in :data:`HANDLERS`, which then owns the response.

Adding a fault (e.g. a truncated body)::

    @register("truncated")
    async def truncated(ctx: FaultContext) -> bool:
        status, ctype, body = ctx.normal()             # what the page would have been
        ctx.writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body))
        ctx.writer.write(body[: len(body) // 2])
        return False                                   # False: server closes the connection

    plan = FaultPlan().add("/fr/lematin/2016", "truncated", times=None)  # every time

A handler gets the raw ``asyncio.StreamWriter`` and may write anything, sleep,
or ``ctx.writer.transport.abort()`` (connection reset). It returns True to keep
the connection alive for the next request, False to have it closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:
    import asyncio

    from .generator import Corpus


@dataclass
class FaultContext:
    """What a fault handler may use. ``respond()`` sends the normal page."""

    method: str
    target: str  # raw request target as received (path + query)
    key: str  # canonical page key
    count: int  # requests for *key* so far, this one included
    keep_alive: bool  # what the client asked for
    writer: "asyncio.StreamWriter"
    normal: Callable[[], tuple[int, str, bytes]]  # (status, content type, body) of the real page
    respond: Callable[[], Awaitable[bool]]  # send the real page; returns keep-alive
    send: Callable[[int, str, bytes], Awaitable[bool]]  # well-formed response with any status/body


Handler = Callable[[FaultContext], Awaitable[bool]]

#: Fault name -> handler. Register new ones with :func:`register`.
HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Decorator: make *handler* available to plans under *name*."""

    def deco(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return deco


@register("error_once")
async def error_once(ctx: FaultContext) -> bool:
    """HTTP 500 (the rule decides on which requests; by default only the first)."""
    body = b"<!DOCTYPE html><html><head><title>500</title></head><body><h1>Erreur interne</h1></body></html>\n"
    return await ctx.send(500, "text/html; charset=utf-8", body)


@dataclass
class Rule:
    """Apply *fault* to the first *times* requests of a key (None: to every request)."""

    fault: str
    times: int | None = 1

    def applies(self, count: int) -> bool:
        return self.times is None or count <= self.times


Matcher = Callable[[str, int], "str | None"]


@dataclass
class FaultPlan:
    """Which fault (if any) a request gets: exact-key rules first, then matchers in order."""

    rules: dict[str, Rule] = field(default_factory=dict)
    matchers: list[Matcher] = field(default_factory=list)

    def add(self, key: str, fault: str, times: int | None = 1) -> "FaultPlan":
        """Fault the page *key* (canonical path, e.g. ``/fr/lematin/2016``); chainable."""
        if fault not in HANDLERS:
            raise KeyError(f"unknown fault {fault!r}; registered: {sorted(HANDLERS)}")
        self.rules[key] = Rule(fault, times)
        return self

    def add_matcher(self, matcher: Matcher) -> "FaultPlan":
        """Add ``matcher(key, count) -> fault name | None`` for pattern-wide faults; chainable."""
        self.matchers.append(matcher)
        return self

    def fault_for(self, path: str, request_count: int) -> str | None:
        """The fault for the *request_count*-th request of page *path*, or None."""
        rule = self.rules.get(path)
        if rule is not None and rule.applies(request_count):
            return rule.fault
        for matcher in self.matchers:
            fault = matcher(path, request_count)
            if fault:
                return fault
        return None

    @classmethod
    def none(cls) -> "FaultPlan":
        """No faults at all."""
        return cls()

    @classmethod
    def default(cls, corpus: "Corpus") -> "FaultPlan":
        """The corpus's built-in handful: 2 articles and 1 listing page answer 500 once."""
        plan = cls()
        for key in corpus.error_once_paths:
            plan.add(key, "error_once", times=1)
        return plan
