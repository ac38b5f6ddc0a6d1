"""The turess spider: the shared aggregator spider for turess."""

from newsagg.spiders.base import AggregatorSpider


class TuressSpider(AggregatorSpider):
    name = "turess"
    site = "turess"
