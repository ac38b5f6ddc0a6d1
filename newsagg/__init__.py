"""newsagg: French-language Maghreb press aggregators -> research datasets."""

__version__ = "0.1.0"
