"""Offline replica of the maghress/djazairess/turess site family (see README.md).

Quick use::

    from newsagg.replica import Corpus, ReplicaServer, expected_records
    with ReplicaServer(Corpus("maghress", n_articles=240, seed=1)) as srv:
        truth = expected_records(srv.corpus, srv.base_url)
"""

from .faults import FaultPlan, register
from .generator import Article, Corpus, Source
from .server import ReplicaServer
from .truth import expected_records, near_duplicate_pairs, republication_groups

__all__ = [
    "Article",
    "Corpus",
    "FaultPlan",
    "ReplicaServer",
    "Source",
    "expected_records",
    "near_duplicate_pairs",
    "register",
    "republication_groups",
]
