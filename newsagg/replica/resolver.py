"""A DNS resolver for the replica: ``*.test`` names resolve to loopback.

``.test`` never resolves on the real network (RFC 2606), so
``www.maghress.test`` / ``maghress.test`` can stand for the live twin hosts
while the replica serves them on 127.0.0.1; every other name goes to the
reactor's resolver. Tests and replica users only, never settings.py:
``-s TWISTED_DNS_RESOLVER=newsagg.replica.resolver.TestNamesResolver``, or
``previous = install(reactor)`` in-process.
"""

from __future__ import annotations

from scrapy.resolver import CachingHostnameResolver, HostResolution, dnscache
from twisted.internet.address import IPv4Address

LOOPBACK = "127.0.0.1"


def is_test_name(name: str) -> bool:
    """True for ``test`` and any name under ``.test`` (case-insensitive, trailing dot allowed)."""
    name = name.strip().rstrip(".").lower()
    return name == "test" or name.endswith(".test")


class TestNamesResolver(CachingHostnameResolver):
    """Scrapy's IPv4+IPv6 caching resolver, with ``*.test`` answered as 127.0.0.1.

    (Scrapy's default ``CachingThreadedResolver`` is IPv4-only: it cannot
    resolve ``[::1]``; this one can.)
    """

    __test__ = False  # not a pytest test class

    def resolveHostName(
        self,
        resolutionReceiver,
        hostName: str,
        portNumber: int = 0,  # Twisted's interface
        addressTypes=None,
        transportSemantics: str = "TCP",
    ):
        if not is_test_name(hostName):
            return super().resolveHostName(resolutionReceiver, hostName, portNumber, addressTypes, transportSemantics)
        resolutionReceiver.resolutionBegan(HostResolution(hostName))
        resolutionReceiver.addressResolved(IPv4Address("TCP", LOOPBACK, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolutionReceiver


def install(reactor):
    """Install a :class:`TestNamesResolver` on *reactor*; returns the name resolver it replaces."""
    # The DNS cache is module-wide in Scrapy: keep its size as it is.
    return reactor.installNameResolver(TestNamesResolver(reactor, cache_size=dnscache.limit))
