"""The djazairess spider: the shared aggregator spider for djazairess."""

from newsagg.spiders.base import AggregatorSpider


class DjazairessSpider(AggregatorSpider):
    name = "djazairess"
    site = "djazairess"
