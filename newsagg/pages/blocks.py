"""Markup-agnostic view of an HTML page: a flat list of text blocks.

The aggregator's markup changes over time, so extraction works on *blocks*
(runs of text between block-level elements and ``<br>``) and finds the
article by its text anchors, not by class names. Each block remembers which
links it holds and whether it sits in page chrome (nav, aside, footer, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from newsagg.text import normalize_ws

BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "article",
        "section",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "li",
        "ul",
        "ol",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "blockquote",
        "figure",
        "figcaption",
        "dl",
        "dt",
        "dd",
        "pre",
        "center",
        "form",
        "fieldset",
        "address",
        "body",
        "html",
        "hr",
        "title",
    ]
)
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "iframe",
        "svg",
        "button",
        "select",
        "option",
        "textarea",
        "object",
        "embed",
        "canvas",
    ]
)
CHROME_TAGS = frozenset({"nav", "aside", "footer", "header"})
# Class/id words that mark page chrome. Only a hint: markup without telling
# names still works through the text anchors.
_CHROME_WORDS = re.compile(
    r"(?:^|[\s_-])(sidebar|footer|header|nav|navbar|menu|ticker|marquee|share|sharing|social|"
    r"modal|popup|breadcrumb|most-?read|plus-?lus|related|widget|banner|ads?|cookie)(?:$|[\s_-])",
    re.I,
)


@dataclass
class Block:
    """A run of page text with the links inside it."""

    text: str
    link_chars: int = 0
    hrefs: list[str] = field(default_factory=list)
    chrome: bool = False
    #: How many chrome-looking ancestors hold the block. A class name is only
    #: a hint: a layout table called "x-ad" may hold the whole article, so
    #: extraction compares levels with the byline's (:meth:`chrome_above`).
    chrome_level: int = 0

    def chrome_above(self, level: int) -> bool:
        """True when the block sits in more chrome than *level* (the byline's)."""
        return self.chrome_level > level

    @property
    def all_link(self) -> bool:
        """True when (nearly) all of the text is link text."""
        return bool(self.hrefs) and self.link_chars >= 0.9 * len(self.text.replace(" ", ""))


@lru_cache(maxsize=4096)
def _chrome_attrs(attrs: str) -> bool:
    # Pages repeat the same few class/id/role combinations: one regex search each.
    return bool(attrs.strip()) and bool(_CHROME_WORDS.search(attrs))


def _chrome(tag: str, cls: str | None, ident: str | None, role: str | None) -> bool:
    """Whether an element of lower-case *tag* with these attributes is page chrome."""
    if tag in CHROME_TAGS:
        return True
    if cls is None and ident is None and role is None:
        return False
    return _chrome_attrs(f"{cls or ''} {ident or ''} {role or ''}")


def _is_chrome(el) -> bool:
    """Whether lxml element *el* is page chrome (a chrome tag, or chrome words in class/id/role)."""
    return _chrome(el.tag.lower(), el.get("class"), el.get("id"), el.get("role"))


def linearize(root) -> list[Block]:
    """Flatten an lxml tree into text blocks in document order.

    The walk is lxml's ``iterwalk`` (iterative, so deep or broken HTML does
    not recurse; C-level, the hot loop of every article page). Comments,
    processing instructions and skipped elements (scripts, styles, ...)
    contribute only their tail text.
    """
    blocks: list[Block] = []
    runs: list[tuple[str, str | None]] = []
    href_stack: list[str | None] = []
    chrome_depth = 0
    chrome_stack: list[bool] = []
    href = None  # = href_stack[-1]: the link the current text sits in

    def flush() -> None:
        if len(runs) == 1:  # most blocks: one text node, no inline markup
            t, h = runs[0]
            text = normalize_ws(t)
            if text:
                blocks.append(
                    Block(
                        text,
                        len(t.replace(" ", "").strip()) if h else 0,
                        [h] if h else [],
                        chrome_depth > 0,
                        chrome_depth,
                    )
                )
        else:
            text = normalize_ws("".join([t for t, _ in runs]))
            if text:
                hrefs = list(dict.fromkeys([h for t, h in runs if h and t.strip()]))
                link_chars = sum([len(t.replace(" ", "").strip()) for t, h in runs if h])
                blocks.append(Block(text, link_chars, hrefs, chrome_depth > 0, chrome_depth))
        runs.clear()

    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            tag = el.tag.lower()
            if tag in SKIP_TAGS and el is not root:
                walker.skip_subtree()  # its "end" event still comes: the tail is added there
                continue
            if tag == "br":
                if runs:
                    flush()
                continue
            if tag in BLOCK_TAGS and runs:
                flush()
            chrome = _chrome(tag, el.get("class"), el.get("id"), el.get("role"))
            chrome_stack.append(chrome)
            chrome_depth += chrome
            if tag == "a":
                href = (el.get("href") or "").strip() or None
                href_stack.append(href)
            text = el.text
            if text:
                runs.append((text, href))
            continue
        if event == "end":
            tag = el.tag.lower()
            if (tag in SKIP_TAGS and el is not root) or tag == "br":
                pass  # only the tail
            else:
                if tag == "a" and href_stack:
                    href_stack.pop()
                    href = href_stack[-1] if href_stack else None
                if tag in BLOCK_TAGS and runs:
                    flush()
                if chrome_stack:
                    chrome_depth -= chrome_stack.pop()
        # "end", "comment", "pi": the tail text follows the node
        text = el.tail
        if text:
            runs.append((text, href))
    if runs:
        flush()
    return blocks
