"""Reading newsagg's settings with their one default: the value in newsagg/settings.py.

A crawl started by Scrapy always has the project's settings. Tools and tests
that build a bare ``Settings({...})`` (the Redis state for ``seed``/``merge``,
a hand-made backend) get the project's value for what they leave out, so no
module repeats a default of its own.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

import newsagg.settings as project


def setting(settings, name: str, kind: str = "get") -> Any:
    """``settings.<kind>(name)`` (``kind``: get, getint, getfloat, getbool,
    getdict, ...); the value of newsagg/settings.py when *settings* lacks it."""
    if settings is None or settings.getpriority(name) is None:
        return getattr(BaseSettings({name: getattr(project, name)}), kind)(name)
    return getattr(settings, kind)(name)
