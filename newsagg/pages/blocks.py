"""Markup-agnostic view of an HTML page: a flat list of text blocks.

The aggregator's markup changes over time, so extraction works on *blocks*
(runs of text between block-level elements and ``<br>``) and finds the
article by its text anchors, not by class names. Each block remembers which
links it holds and whether it sits in page chrome (nav, aside, footer, ...).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from lxml import html as lxml_html

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


# What linearize does with an element, by tag (see _tag_kind).
_INLINE, _LINK, _BLOCK, _CHROME_BLOCK, _BR, _SKIP = range(6)
_TAG_KINDS: dict[str, int] = {}
_JUST_HREF = ["href"]
_PLAIN_LOOKUP = etree.ElementDefaultClassLookup()
_HTML_LOOKUP = lxml_html.HtmlElementClassLookup()


def _tag_kind(tag: str) -> int:
    """The kind of an element of *tag* (any case), cached: one dict lookup per element."""
    kind = _TAG_KINDS.get(tag)
    if kind is None:
        low = tag.lower()
        if low in SKIP_TAGS:
            kind = _SKIP
        elif low == "br":
            kind = _BR
        elif low in CHROME_TAGS:
            kind = _CHROME_BLOCK  # every chrome tag is a block tag
        elif low in BLOCK_TAGS:
            kind = _BLOCK
        elif low == "a":
            kind = _LINK
        else:
            kind = _INLINE
        if len(_TAG_KINDS) < 4096:  # bounded: a page may invent any number of tag names
            _TAG_KINDS[tag] = kind
    return kind


# Plain strings: a "smart" one would keep an element of the walk (a plain one, see linearize) alive.
_TEXT_NODES = etree.XPath(".//text()", smart_strings=False)


def _add_title(el, titles: list) -> None:
    """Add the text nodes of <title> *el* unless a <title> holds it (its text is in that one's)."""
    if next(el.iterancestors("title"), None) is None:
        titles.extend(_TEXT_NODES(el))


def linearize(root, page_hrefs: list | None = None, titles: list | None = None) -> list[Block]:
    """Flatten an lxml tree into text blocks in document order.

    The walk is lxml's ``iterwalk`` (iterative, so deep or broken HTML does
    not recurse; C-level, the hot loop of every article page). Comments,
    processing instructions and skipped elements (scripts, styles, ...)
    contribute only their tail text.

    Filled on the way, without another walk of the page: *page_hrefs* gets
    the ``href`` of every ``<a>`` of the tree that has one, skipped ones too,
    in the order of ``root.iter("a")``; *titles* the text nodes of the
    ``<title>`` elements, as ``//title//text()`` (root: the document's).
    """
    with _plain_elements(root):
        return _linearize(root, page_hrefs, titles)


@contextmanager
def _plain_elements(root):
    """Within: the elements lxml creates for *root*'s tree are plain ``etree`` ones.

    lxml.html picks the class of every element object it creates in Python
    (``HtmlElementClassLookup.lookup``: ~15% of a walk of the page). A walk
    that reads only tags, attributes and text gets the same from plain
    elements, and must keep none past the block (they would stay plain).
    After it, the parser's own lookup again: the one ``lxml.html.HTMLParser``
    sets, stateless. Other parsers' trees are left as they are.
    """
    parser = root.getroottree().parser
    if type(parser) is not lxml_html.HTMLParser:
        yield
        return
    parser.set_element_class_lookup(_PLAIN_LOOKUP)
    try:
        yield
    finally:
        parser.set_element_class_lookup(_HTML_LOOKUP)


def _linearize(root, page_hrefs: list | None, titles: list | None) -> list[Block]:
    """:func:`linearize`, whatever classes lxml gives the elements."""
    blocks: list[Block] = []
    # The current block: its text nodes, and (text, href) of those inside a link.
    texts: list[str] = []
    linked: list[tuple[str, str]] = []
    href_stack: list[str | None] = []
    href = None  # = href_stack[-1]: the link the current text sits in
    chrome_open: list = []  # the open chrome elements, innermost last

    def flush() -> None:
        if len(texts) == 1:  # most blocks: one text node (a link's, often), no inline markup
            t = texts[0]
            text = normalize_ws(t)
            if text:
                depth = len(chrome_open)
                if linked:  # = [(t, its href)]
                    blocks.append(Block(text, len(t.replace(" ", "").strip()), [linked[0][1]], depth > 0, depth))
                else:
                    blocks.append(Block(text, 0, [], depth > 0, depth))
            texts.clear()
            linked.clear()
            return
        text = normalize_ws("".join(texts))
        if text:
            if linked:
                hrefs = list(dict.fromkeys([h for t, h in linked if t.strip()]))
                link_chars = sum([len(t.replace(" ", "").strip()) for t, _ in linked])
            else:
                hrefs, link_chars = [], 0
            depth = len(chrome_open)
            blocks.append(Block(text, link_chars, hrefs, depth > 0, depth))
        texts.clear()
        linked.clear()

    kinds = _TAG_KINDS
    open_kinds: list[int] = []  # the kind of every open element: its "end" reads it back
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            kind = kinds.get(el.tag)
            if kind is None:
                kind = _tag_kind(el.tag)
            if kind == _SKIP:
                if el is not root:
                    if len(el) and (page_hrefs is not None or titles is not None):  # not walked, still the page's
                        for sub in el.iter("a", "title"):
                            if sub.tag == "a":
                                if page_hrefs is not None and (h := sub.get("href")) is not None:
                                    page_hrefs.append(h)
                            elif titles is not None:
                                _add_title(sub, titles)
                    open_kinds.append(_SKIP)
                    walker.skip_subtree()  # its "end" event still comes: the tail is added there
                    continue
                kind = _INLINE  # a skipped tag at the root is walked like an inline one
            elif kind == _BR:
                if texts:
                    flush()
                open_kinds.append(_BR)
                continue
            elif kind >= _BLOCK:
                if texts:
                    flush()
                if kind == _CHROME_BLOCK:
                    chrome_open.append(el)
                elif titles is not None and el.tag == "title":
                    _add_title(el, titles)
            open_kinds.append(kind)
            if kind != _CHROME_BLOCK:
                names = el.keys()  # one call: most elements have no attribute, or just an href
                if names and names != _JUST_HREF:
                    cls, ident, role = el.get("class"), el.get("id"), el.get("role")
                    if (cls is not None or ident is not None or role is not None) and _chrome_attrs(
                        f"{cls or ''} {ident or ''} {role or ''}"
                    ):
                        chrome_open.append(el)
            if kind == _LINK:
                raw = el.get("href")
                if page_hrefs is not None and raw is not None:
                    page_hrefs.append(raw)
                href = (raw or "").strip() or None
                href_stack.append(href)
            text = el.text
            if text and (texts or not text.isspace()):  # leading white space adds nothing to a block
                texts.append(text)
                if href is not None:
                    linked.append((text, href))
            continue
        if event == "end":
            kind = open_kinds.pop()
            if kind < _BR:  # not br, not skipped: only the tail for those
                if kind == _LINK and href_stack:
                    href_stack.pop()
                    href = href_stack[-1] if href_stack else None
                elif kind >= _BLOCK and texts:
                    flush()
                if chrome_open and chrome_open[-1] is el:
                    chrome_open.pop()
        # "end", "comment", "pi": the tail text follows the node
        text = el.tail
        if text and (texts or not text.isspace()):
            texts.append(text)
            if href is not None:
                linked.append((text, href))
    if texts:
        flush()
    return blocks
