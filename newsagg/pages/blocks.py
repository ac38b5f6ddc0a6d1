"""Markup-agnostic view of an HTML page: a flat list of text blocks.

The aggregator's markup changes over time, so extraction works on *blocks*
(runs of text between block-level elements and ``<br>``) and finds the
article by its text anchors, not by class names. Each block remembers which
links it holds and whether it sits in page chrome (nav, aside, footer, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsagg.text import normalize_ws

BLOCK_TAGS = frozenset(
    """p div h1 h2 h3 h4 h5 h6 article section header footer nav aside main li ul ol
    table tbody thead tfoot tr td th blockquote figure figcaption dl dt dd pre center
    form fieldset address body html hr title""".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template head iframe svg button select option textarea object embed canvas".split()
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
    tag: str = ""  # nearest block-level ancestor's tag
    classes: str = ""  # nearest block-level ancestor's class attribute

    @property
    def all_link(self) -> bool:
        """True when (nearly) all of the text is link text."""
        return bool(self.hrefs) and self.link_chars >= 0.9 * len(self.text.replace(" ", ""))


def _events(root):
    """Iterative document-order walk (deep or broken HTML must not recurse)."""
    yield "start", root
    stack = [(root, iter(root))]
    while stack:
        parent, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            yield "end", parent
            continue
        if not isinstance(child.tag, str) or child.tag.lower() in SKIP_TAGS:
            yield "tail", child  # comments, PIs and skipped elements keep their tail
            continue
        yield "start", child
        stack.append((child, iter(child)))


def _is_chrome(el) -> bool:
    tag = el.tag.lower()
    if tag in CHROME_TAGS:
        return True
    attrs = f"{el.get('class') or ''} {el.get('id') or ''} {el.get('role') or ''}"
    return bool(attrs.strip()) and bool(_CHROME_WORDS.search(attrs))


def linearize(root) -> list[Block]:
    """Flatten an lxml tree into text blocks in document order."""
    blocks: list[Block] = []
    runs: list[tuple[str, str | None]] = []
    href_stack: list[str | None] = []
    chrome_depth = 0
    chrome_stack: list[bool] = []
    block_ctx: list[tuple[str, str]] = [("", "")]

    def flush() -> None:
        if not runs:
            return
        text = normalize_ws("".join(t for t, _ in runs))
        if text:
            hrefs = list(dict.fromkeys(h for t, h in runs if h and t.strip()))
            link_chars = sum(len(t.replace(" ", "").strip()) for t, h in runs if h)
            tag, classes = block_ctx[-1]
            blocks.append(Block(text, link_chars, hrefs, chrome_depth > 0, tag, classes))
        runs.clear()

    def add(text: str | None) -> None:
        if text:
            runs.append((text, href_stack[-1] if href_stack else None))

    for event, el in _events(root):
        if event == "tail":
            add(el.tail)
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag == "br":
                flush()
                continue
            if tag in BLOCK_TAGS:
                flush()
                block_ctx.append((tag, el.get("class") or ""))
            chrome = _is_chrome(el)
            chrome_stack.append(chrome)
            chrome_depth += chrome
            if tag == "a":
                href_stack.append((el.get("href") or "").strip() or None)
            add(el.text)
        else:  # end
            if tag == "br":
                add(el.tail)
                continue
            if tag == "a" and href_stack:
                href_stack.pop()
            if tag in BLOCK_TAGS:
                flush()
                if len(block_ctx) > 1:
                    block_ctx.pop()
            if chrome_stack:
                chrome_depth -= chrome_stack.pop()
            add(el.tail)
    flush()
    return blocks
