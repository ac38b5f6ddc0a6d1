"""One spider per site; all share newsagg.spiders.base.AggregatorSpider."""
