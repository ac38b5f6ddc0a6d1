"""A DNS resolver for the replica: ``*.test`` names resolve to loopback.

``.test`` is reserved for testing (RFC 2606) and never resolves on the real
network, so ``www.maghress.test`` / ``maghress.test`` can stand for the live
twin hosts while the replica serves them on 127.0.0.1. Every other name goes
to Scrapy's default resolver unchanged.

Test and replica use only, never in settings.py (the live path)::

    scrapy crawl maghress -a base_url=http://www.maghress.test:PORT \\
        -s TWISTED_DNS_RESOLVER=newsagg.replica.resolver.TestNamesResolver

In-process (tests): ``install(reactor)`` returns the previous resolver, to
put back with ``reactor.installResolver(previous)``.
"""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet import defer

LOOPBACK = "127.0.0.1"


def is_test_name(name: str) -> bool:
    """True for ``test`` and any name under ``.test`` (case-insensitive, trailing dot allowed)."""
    name = name.strip().rstrip(".").lower()
    return name == "test" or name.endswith(".test")


class TestNamesResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, with ``*.test`` answered as 127.0.0.1 at once."""

    __test__ = False  # not a pytest test class

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's interface
        if is_test_name(name):
            return defer.succeed(LOOPBACK)
        return super().getHostByName(name, timeout)


def install(reactor, timeout: float = 5.0):
    """Install a :class:`TestNamesResolver` on *reactor*; returns the resolver it replaces."""
    previous = reactor.resolver
    # The DNS cache is module-wide in Scrapy: keep its size as it is.
    reactor.installResolver(TestNamesResolver(reactor, cache_size=dnscache.limit, timeout=timeout))
    return previous
