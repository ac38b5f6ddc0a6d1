"""URL classification and canonical forms."""

from __future__ import annotations

import pytest

from newsagg.urls import classify

B = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "url, kind, canon, slug, aid, page",
    [
        (f"{B}/fr/", "home", f"{B}/fr/", None, None, 1),
        (f"{B}/fr", "home", f"{B}/fr/", None, None, 1),
        (f"{B}/fr/h24info/1234567", "article", f"{B}/fr/h24info/1234567", "h24info", "1234567", 1),
        (
            f"{B}/fr/h24info/1234567?utm_source=fb&utm_medium=x",
            "article",
            f"{B}/fr/h24info/1234567",
            "h24info",
            "1234567",
            1,
        ),
        (f"{B}/fr/lematin/2016#comments", "article", f"{B}/fr/lematin/2016", "lematin", "2016", 1),
        (f"{B}/fr/lematin/2016/", "article", f"{B}/fr/lematin/2016", "lematin", "2016", 1),
        (f"{B}//fr//albayane/211548", "article", f"{B}/fr/albayane/211548", "albayane", "211548", 1),
        (f"{B}/fr/h24info", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/h24info?page=1", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/h24info?page=3&utm_source=x", "listing", f"{B}/fr/h24info?page=3", "h24info", None, 3),
        (f"{B}/fr/h24info/page/4", "listing", f"{B}/fr/h24info/page/4", "h24info", None, 4),
        (f"{B}/fr/h24info/page/1", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/2m", "listing", f"{B}/fr/2m", "2m", None, 1),
        (f"{B}/fr/contact", "other", None, None, None, 1),
        (f"{B}/fr/tag/maroc", "other", None, None, None, 1),
        (f"{B}/fr/print/h24info/12", "other", None, None, None, 1),
        (f"{B}/fr/recherche?q=x", "other", None, None, None, 1),
        (f"{B}/h24info/1234", "other", None, None, None, 1),  # Arabic section
        ("https://www.h24info.ma/fr/h24info/1", "other", None, None, None, 1),  # other host
        ("http://127.0.0.1:9999/fr/h24info/1", "other", None, None, None, 1),  # other port
        (f"{B}/fr/H24Info/12", "other", None, None, None, 1),  # slugs are lower-case
    ],
)
def test_classify(url, kind, canon, slug, aid, page):
    ref = classify(url, B)
    assert ref.kind == kind
    if canon:
        assert (ref.url, ref.slug, ref.article_id, ref.page) == (canon, slug, aid, page)
