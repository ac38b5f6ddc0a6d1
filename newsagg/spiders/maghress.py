"""The maghress spider: the shared aggregator spider for maghress."""

from newsagg.spiders.base import AggregatorSpider


class MaghressSpider(AggregatorSpider):
    name = "maghress"
    site = "maghress"
