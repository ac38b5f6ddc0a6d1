"""Scrapy extensions of newsagg."""
