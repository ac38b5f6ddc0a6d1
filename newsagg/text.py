"""Pure text functions: whitespace, boilerplate, word counts, fingerprints.

Everything here takes and returns plain strings so it can be tested with
tables of real strings and reused by the replica's ground truth.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import urllib.parse
from functools import lru_cache

# Every Unicode space (nbsp, narrow nbsp, thin space, ...), tabs, newlines
# and zero-width characters collapse to one ASCII space.
_WS = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_ZW = re.compile(r"[\u200c\u200d\u2060\u00ad]")
# The characters of _WS/_ZW that str.isspace() does not cover. Without them,
# str.split() splits on exactly what \s matches (checked over all code points
# in tests/test_fast_paths.py), so the fast path below gives the same result.
_NOT_ISSPACE = re.compile(r"[\u200b\ufeff\u200c\u200d\u2060\u00ad]")
# Combining marks (accents after NFKD decomposition).
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalize_ws(text: str | None) -> str:
    """Collapse all whitespace runs (incl. non-breaking) to one space and strip."""
    if not text:
        return ""
    # Hot path (every block, link and paragraph): ~4x faster than the regexes. The
    # _NOT_ISSPACE test as `in` (a latin-1 string cannot hold the 5 others: no scan).
    if text.isascii() or not (
        "\xad" in text
        or "\u200b" in text
        or "\ufeff" in text
        or "\u200c" in text
        or "\u200d" in text
        or "\u2060" in text
    ):
        text = text.strip()
        # Already one line of single spaces (most text): every white space but " " is unprintable.
        if text.isprintable() and "  " not in text:
            return text
        return " ".join(text.split())
    return _WS.sub(" ", _ZW.sub("", text)).strip()


def _fold(text: str) -> str:
    """Lower-case, accent-free, apostrophe-normalised form for comparisons."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("`", "'"))
    if not text.isascii():
        text = _COMBINING.sub("", text)
    return normalize_ws(text).casefold()


# --- boilerplate --------------------------------------------------------------

# The "report image" modal's sentences, present on every page.
_MODAL_RE = re.compile(
    r"merci d'avoir signal[eé]\s*!|cette image sera automatiquement bloqu[eé]e apr[eè]s "
    r"qu'elle soit signal[eé]e par plusieurs personnes\.?",
    re.I,
)
# The line that links to the newspaper's own page: "Cliquez ici pour lire
# l'article depuis sa source." ("l.article": any apostrophe). The one copy of
# this sentence: page objects use the functions below.
_SOURCE_LINK_RE = re.compile(r"cliquez ici pour lire l.article depuis sa source\.?", re.I)
_SOURCE_LINK_AT_END = re.compile(rf"(?:{_SOURCE_LINK_RE.pattern})\s*$", re.I)

# Whole lines that are widget or navigation labels, never article text.
_LABEL_LINES = {
    _fold(s)
    for s in (
        "Partager",
        "Partager sur Facebook",
        "Partager sur Twitter",
        "Partager sur X",
        "Partager sur WhatsApp",
        "Partager sur LinkedIn",
        "Envoyer par e-mail",
        "Imprimer",
        "Tweet",
        "Facebook",
        "Twitter",
        "WhatsApp",
        "LinkedIn",
        "Email",
        "Les plus lus",
        "Les plus lues",
        "Plus lus",
        "Articles similaires",
        "Lire aussi",
        "Signaler une image",
        "Signaler",
        "Commentaires",
        "Accueil",
        "Suivant",
        "Précédent",
        "Page suivante",
    )
}

_LABEL_MAX = max(len(s) for s in _LABEL_LINES) + 8
# Ad slot placeholders: skipped wherever they stand (they may sit between
# paragraphs, so unlike the labels above they do not end the body).
#: Placeholder texts of ad slots (also removed from rendered pages: rendering/wait.py).
AD_LABELS = ("Publicité", "Publicite", "Advertisement", "Annonce", "Sponsorisé", "Sponsorise", "Pub")
_AD_LINES = {_fold(s) for s in AD_LABELS}


def is_ad_label(text: str) -> bool:
    """True for an ad slot's placeholder text standing alone ("Publicité")."""
    return len(text) <= 20 and _fold(text).strip(" :.-|") in _AD_LINES


def is_modal_text(text: str) -> bool:
    """True when *text* is made only of the report-image modal's sentences."""
    if len(text) > 200 or "ignal" not in text.lower():  # cheap filter: long paragraphs are never modal
        return False
    rest = _MODAL_RE.sub("", _fold(text))
    return bool(normalize_ws(text)) and not rest.strip(" .!")


def is_source_link_text(text: str) -> bool:
    """True when *text* is the 'Cliquez ici pour lire l'article depuis sa source.' line."""
    if len(text) > 80 or "ource" not in text:
        return False
    f = _fold(text)
    return bool(f) and not _SOURCE_LINK_RE.sub("", f).strip(" .")


def ends_with_source_link(text: str) -> bool:
    """True when *text* ends with the source-link sentence (a paragraph glued to it)."""
    return _SOURCE_LINK_AT_END.search(text) is not None


def text_before_source_link(text: str) -> str:
    """The text before a trailing source-link sentence ("" when there is none)."""
    m = _SOURCE_LINK_AT_END.search(text)
    return normalize_ws(text[: m.start()]) if m else ""


def is_label_line(text: str) -> bool:
    """True for share-button, sidebar and navigation labels standing alone."""
    if len(text) > _LABEL_MAX:
        return False
    return _fold(text).strip(" :.|»«›‹>") in _LABEL_LINES


def strip_boilerplate_sentences(text: str) -> str:
    """Remove modal and source-link sentences glued into a paragraph.

    Only the exact sentences go: the word "signalé" in a real sentence stays.
    """
    return normalize_ws(_cut_boilerplate(text))


def _cut_boilerplate(text: str) -> str:
    """*text* with the modal and source-link sentences cut out, not normalised;
    *text* itself (the same object) when there is nothing to cut."""
    low = text.lower()
    if "ignal" not in low and "cliquez" not in low:
        return text
    # "signalé" is a common word: only a match on the view that _cut_sentences
    # cuts from can change the text, so without one the folding below is skipped.
    view = _lower_view(text, low)
    if not _may_hold_boilerplate(view) or (_MODAL_RE.search(view) is None and _SOURCE_LINK_RE.search(view) is None):
        return text
    out = text
    for rx in (_MODAL_RE, _SOURCE_LINK_RE):
        # Match against an accent-insensitive view but cut the original
        # string: find spans on the folded string only when lengths agree.
        if not rx.search(_fold(out)):
            continue
        out = _cut_sentences(out, rx)
    return out


def _may_hold_boilerplate(view: str) -> bool:
    """False when no _MODAL_RE / _SOURCE_LINK_RE match can be in *view* (lower
    case): each needs these ASCII pieces, whose letters re.I matches only in
    their own two cases (not so i, k and s: "ı", "K", "ſ"), so they are plain substrings."""
    return "merc" in view or "automat" in view or ("quez" in view and "pour l" in view)


def _lower_view(text: str, low: str | None = None) -> str:
    """Char-for-char lower case of *text* (a char whose lower case is longer
    stays as is), apostrophes normalised: same length, so its spans cut *text*.

    ``text.lower()`` (*low*) is that view when it kept the length (no char
    lowered to several) and no capital sigma took its context-dependent final form.
    """
    if low is None:
        low = text.lower()
    if len(low) == len(text) and "\u03a3" not in text:
        return low.replace("\u2019", "'")
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text.replace("\u2019", "'"))


def _cut_sentences(text: str, rx: re.Pattern[str]) -> str:
    # NFKD folding changes lengths, so match on a char-for-char casefold of the
    # original with apostrophes normalised (same length), accents kept; the
    # regexes accept both accented and plain letters.
    view = _lower_view(text)
    spans = [m.span() for m in rx.finditer(view)]
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text


def clean_paragraphs(paragraphs: list[str], ticker: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Normalise paragraphs and drop boilerplate ones.

    Dropped: empty lines, modal text, the source-link line, share/nav labels,
    and lines equal to a ticker headline (*ticker* holds headlines as found).
    Boilerplate sentences glued inside a paragraph are cut out of it.
    """
    folded_ticker = {_fold(t) for t in ticker}
    out: list[str] = []
    for para in paragraphs:
        p = normalize_ws(para)
        if not p or is_modal_text(p) or is_source_link_text(p) or is_label_line(p) or is_ad_label(p):
            continue
        if folded_ticker and _fold(p) in folded_ticker:
            continue
        cut = _cut_boilerplate(p)  # p is normalised already: only a cut text needs it again
        p = strip_share_words(cut if cut is p else normalize_ws(cut))
        if p:
            out.append(p)
    return out


@lru_cache(maxsize=32)
def _suffix_patterns(site_names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``(needle, regex)`` per name: a match needs *needle* in the ignore-case view ("": no shortcut)."""
    return tuple(
        (name.lower() if name.isascii() else "", re.compile(rf"\s*[-|–—:]\s*{re.escape(name)}\s*$", re.I))
        for name in site_names
    )


def _ignore_case_view(text: str) -> str:
    """*text* lower-cased so that an ASCII literal matching it case-insensitively
    (``re.I``) is a substring: ``re.I`` also matches "ı" and "İ" to "i" and "ſ"
    to "s", and "İ".lower() is "i" + a combining dot."""
    return text.lower().replace("\u0307", "").replace("\u0131", "i").replace("\u017f", "s")


def clean_title(title: str | None, site_names: tuple[str, ...] = ()) -> str:
    """Normalise a title and strip a trailing site-name suffix (' - Maghress')."""
    t = normalize_ws(title)
    view = None
    for needle, rx in _suffix_patterns(tuple(site_names)):  # compiled once per tuple, applied in order
        if needle:
            if view is None:
                view = _ignore_case_view(t)
            if needle not in view:  # the name is not in the title: nothing to strip
                continue
        stripped = rx.sub("", t)
        if stripped != t:
            t, view = stripped, None
    if is_modal_text(t) or is_source_link_text(t):
        return ""
    return t


# --- measures ----------------------------------------------------------------

_WORD = re.compile(r"\w+(?:['\u2019\-]\w+)*")


def word_count(body: str | None) -> int:
    """Number of words: runs of letters/digits, apostrophe- or hyphen-joined."""
    return len(_WORD.findall(body or ""))


def normalize_for_fingerprint(title: str | None, body: str | None) -> str:
    """The text a fingerprint is taken of: folded title and body, words only."""
    return " ".join(fingerprint_words(title, body))


def fingerprint_words(title: str | None, body: str | None) -> tuple[str, ...]:
    """The words of :func:`normalize_for_fingerprint` (the near-duplicate shingles' words)."""
    return _measures(title, body)[0]


@lru_cache(maxsize=64)  # asked again for the same item by the near-duplicate pipeline
def _measures(title: str | None, body: str | None) -> tuple[tuple[str, ...], int]:
    """``(fingerprint_words(title, body), word_count(body))``.

    When folding keeps every word of the text a word (:func:`_fold_keeps_words`,
    the usual case), the folded words are the words found in the text, each
    folded (cached): one word scan for both measures and no fold of the whole text.
    """
    title, body = title or "", body or ""
    if _fold_keeps_words(title) and _fold_keeps_words(body):
        body_words = _WORD.findall(body)
        return tuple(map(_folded_words.__getitem__, _WORD.findall(title) + body_words)), len(body_words)
    return tuple(_WORD.findall(_fold_for_words(f"{title}\n{body}"))), len(_WORD.findall(body))


class _FoldedWords(dict):
    """word -> :func:`_fold_for_words` of it, filled on demand; emptied at 32,768
    words (~4.5 MB: a year of vocabulary would otherwise stay in memory)."""

    def __missing__(self, word: str) -> str:
        if len(self) >= 1 << 15:
            self.clear()
        folded = self[word] = _fold_for_words(word)
        return folded


_folded_words = _FoldedWords()


def _fold_for_words(text: str) -> str:
    """:func:`_fold` without its whitespace pass, for :data:`_WORD` matches only:
    whitespace separates words collapsed or not, and the zero-width characters
    that normalize_ws deletes (they would split words) are deleted here too."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("`", "'"))
    if not text.isascii():
        text = _COMBINING_OR_ZW.sub("", text)
    return text.casefold()


# _COMBINING and _ZW in one class: both are deleted, so one pass does both.
_COMBINING_OR_ZW = re.compile(_COMBINING.pattern[:-1] + _ZW.pattern[1:])


def fingerprint(title: str | None, body: str | None) -> str:
    """SHA-1 hex digest of the normalised title + body (exact-republication key)."""
    return hashlib.sha1(normalize_for_fingerprint(title, body).encode("utf-8")).hexdigest()


def word_count_and_fingerprint(title: str | None, body: str | None) -> tuple[int, str]:
    """``(word_count(body), fingerprint(title, body))``, from one word scan in the usual case (:func:`_measures`)."""
    words, count = _measures(title, body)
    return count, hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()


_IS_WORD_CHAR = re.compile(r"\w")
_JOINERS = "'\u2019-"  # what _WORD accepts between two runs of word characters


def _char_kind(c: str) -> int:
    return 0 if _IS_WORD_CHAR.match(c) else 1 if c in _JOINERS else 2


class _FoldVerdicts:
    """Characters seen, by whether folding keeps their kind (a few hundred:
    bounded by the alphabets met), and a regex finding any other character."""

    def __init__(self):
        self.keeps: set[str] = set()
        self.changes: set[str] = set()
        self.other = re.compile(r"[\s\S]")  # nothing known yet: any character is new

    def learn(self, c: str) -> bool:
        """Classify *c* (see :func:`_fold_keeps_words`); True when it keeps its kind."""
        kind, folded = _char_kind(c), _fold_for_words(c)
        if not folded or any(_char_kind(f) != kind for f in folded) or (kind == 1 and len(folded) != 1):
            self.changes.add(c)
            return False
        self.keeps.add(c)
        return True

    def relearn(self) -> None:
        """Recompile :attr:`other` after :meth:`learn` (once per text, not per character)."""
        self.other = re.compile("[^" + "".join(map(re.escape, sorted(self.keeps))) + "]")


_FOLD_VERDICTS = _FoldVerdicts()


def _fold_keeps_words(text: str) -> bool:
    """True when the words ``_WORD`` finds in ``_fold_for_words(text)`` are those
    it finds in *text*, each folded on its own.

    Folding works character by character (NFKD only reorders combining marks,
    which are never word characters, and word characters never move), so this
    holds when every character folds to a non-empty run of its own kind: word
    characters, other characters, or exactly one joiner. Not so for e.g. a
    backquote (it becomes an apostrophe), a zero-width or combining character
    standing alone (deleted), or "½" ("1⁄2": two words).
    """
    verdicts, pos, learnt = _FOLD_VERDICTS, 0, False
    other = verdicts.other
    keeps = True
    while (m := other.search(text, pos)) is not None:  # one scan once the alphabet is known
        c = m.group()
        if c not in verdicts.keeps:
            if c in verdicts.changes or not verdicts.learn(c):
                keeps = False
                break
            learnt = True
        pos = m.end()
    if learnt:
        verdicts.relearn()
    return keeps


# --- authors -----------------------------------------------------------------

_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
# Characters around a name that are separators, never part of it ("| Name", "Par : Name,").
_NAME_EDGES = " |,;:-–—·•/\\()[]"


def _unquote_name(text: str) -> str:
    """One level of URL decoding: ``+`` is a space, ``%XX`` bytes are UTF-8
    (windows-1252 when they are not valid UTF-8: some old slugs)."""
    raw = urllib.parse.unquote_to_bytes(text.replace("+", " "))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


# A date the site glued to a name: "Jeudi 27 Février 2025", "12 - 03 - 2021",
# "February 27, 2025" (sister sites' English pages), with a time maybe.
_WEEKDAYS = (
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
_MONTHS = (
    r"(?:janv(?:ier|\.)?|f[ée]vr?(?:ier|\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[uû]t|sept(?:embre|\.)?"
    r"|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?|january|february|march|april|may|june|july|august"
    r"|september|october|november|december)"
)
_NAME_DATE = (
    rf"(?:(?:{_WEEKDAYS},?\s+)?(?:le\s+)?\d{{1,2}}(?:er)?\s+{_MONTHS}(?:\s+\d{{4}})?"
    rf"|{_WEEKDAYS},?\s+{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}},\s+\d{{4}}"
    r"|\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}|\d{4}-\d{2}-\d{2})"
    r"(?:\s*(?:à|a|at|,)?\s*\d{1,2}\s*[hH:]\s*\d{2})?"
)
_DATE_AFTER_NAME = re.compile(rf"[\s|,;:–—·/(-]*\b{_NAME_DATE}[\s.)]*$", re.I)
_DATE_BEFORE_NAME = re.compile(rf"^\s*{_NAME_DATE}\b[\s|,;:–—·/)-]*", re.I)


def cut_name_date(name: str) -> str:
    """*name* without a date glued before or after it (``Youssef Benkirane
    Jeudi 27 Février 2025`` -> ``Youssef Benkirane``); the rest as it is."""
    if not any(c.isdigit() for c in name):
        return name
    return _DATE_BEFORE_NAME.sub("", _DATE_AFTER_NAME.sub("", name))


def normalize_author(name: str | None, encoded: bool = False) -> str | None:
    """A clean author name, or None when nothing name-like is left.

    *encoded*: *name* comes from an ``/fr/author/<slug>`` URL, so ``+`` and
    ``%XX`` are decoded, repeatedly (a ``+`` encoded twice arrives as
    ``%2B``). Link text is taken as shown (HTML already unescaped). Either
    way whitespace is collapsed, a date the site glued to the name cut
    (:func:`cut_name_date`: names are never read for dates) and separators at
    the edges (``| Name``) dropped. Two people in one name stay as written.
    Junk without a letter, or too long to be a name, gives None.
    """
    if not name:
        return None
    text = name
    if encoded:
        for _ in range(3):  # %252B -> %2B -> + -> space at most
            if not (_PCT.search(text) or "+" in text):
                break
            text = _unquote_name(text)
    text = cut_name_date(normalize_ws(text)).strip(_NAME_EDGES)
    text = normalize_ws(text)
    if not text or len(text) > 120 or not any(c.isalpha() for c in text):
        return None
    return text


def author_from_url(url: str) -> str | None:
    """The author name in an ``…/fr/author/<slug>`` URL (None for ``/fr/author``)."""
    path = urllib.parse.urlsplit(url).path
    _, sep, slug = path.partition("/fr/author/")
    return normalize_author(slug.strip("/"), encoded=True) if sep else None


# "Par <Name>" standing alone as the body's first line. Names are short and
# capitalised word by word (particles allowed), which keeps sentences that
# start with "Par ailleurs, ..." or "Par conséquent" in the body.
_PAR_LINE = re.compile(r"^(?:par|PAR|Par)\s*:?\s+(?P<name>.+?)\s*[.,;]?$")
_NAME_PARTICLES = frozenset(
    {
        "et",
        "de",
        "du",
        "des",
        "la",
        "le",
        "el",
        "al",
        "ben",
        "bin",
        "ou",
        "and",
        "von",
        "van",
        "da",
        "di",
        "d'",
        "l'",
        "y",
    }
)


def looks_like_name(text: str) -> bool:
    """True for a short run of capitalised words (particles and numbers allowed): a person's name."""
    words = text.split()
    if not 1 <= len(words) <= 12 or len(text) > 100 or any(c in text for c in '!?«»":;'):
        return False
    capitalised = 0
    for w in words:
        if w.casefold() in _NAME_PARTICLES or (w[:2].casefold() in ("d'", "l'") and w[2:3].isupper()):
            continue
        if w[0].isupper() or w[0].isdigit():  # dates glued to names keep their numbers
            capitalised += w[0].isupper()
            continue
        if not w[0].isalpha() and w.strip("()-") == "":
            continue
        return False
    return capitalised >= 1


def split_par_line(paragraphs: list[str]) -> tuple[str | None, list[str]]:
    """``(author, rest)`` when the first paragraph is a ``Par <Name>`` line,
    else ``(None, paragraphs)``. "Par ailleurs, ..." is a sentence, not an author."""
    if not paragraphs:
        return None, paragraphs
    m = _PAR_LINE.match(normalize_ws(paragraphs[0]))
    if not m or not looks_like_name(m.group("name")):
        return None, paragraphs
    name = normalize_author(m.group("name"))
    return (name, paragraphs[1:]) if name else (None, paragraphs)


# --- repeated bodies, share widgets, promo lines -----------------------------


def collapse_repeated(paragraphs: list[str]) -> tuple[list[str], bool]:
    """``(paragraphs, True)`` with an exact repeat of the whole sequence kept
    once (``A B A B`` -> ``A B``; also three times); else unchanged and False.
    A partial repeat is text and stays."""
    n = len(paragraphs)
    for period in range(1, n // 2 + 1):
        if n % period == 0 and paragraphs == paragraphs[:period] * (n // period):
            return paragraphs[:period], True
    return paragraphs, False


#: Words of share widgets; a line made only of them is widget text ("Tweet Share").
_SHARE_WORDS = {
    "tweet",
    "tweeter",
    "share",
    "partager",
    "partagez",
    "j'aime",
    "like",
    "facebook",
    "twitter",
    "x",
    "whatsapp",
    "linkedin",
    "email",
    "e-mail",
    "imprimer",
    "print",
    "pin",
    "pinterest",
    "telegram",
    "messenger",
    "sur",
    "par",
    "envoyer",
    "0",
    "+",
}
_SHARE_TOKEN = re.compile(r"[\w'+\-]+")


def is_share_widget(text: str) -> bool:
    """True for share-widget text standing alone: ``Tweet``, ``Tweet Share``,
    ``Partager sur Facebook Twitter`` (never a sentence: "Partager les ressources...")."""
    if len(text) > 80:
        return False
    words = _SHARE_TOKEN.findall(_fold(text))
    if not words or not any(w in ("tweet", "tweeter", "share", "partager", "partagez") for w in words):
        return False
    return all(w in _SHARE_WORDS or w.isdigit() for w in words)


_EDGE_WIDGET = frozenset({"Tweet", "Tweeter", "Share", "Partager", "Partagez", "J'aime", "Like", "|"})
_EDGE_ENGLISH = frozenset({"Tweet", "Share"})  # never how a French sentence starts or ends


def _widget_run(words: list[str]) -> bool:
    named = [w for w in words if w in _EDGE_WIDGET and w != "|"]
    return len(named) >= 2 and bool(_EDGE_ENGLISH.intersection(named))


def strip_share_words(text: str) -> str:
    """*text* without share-widget words glued at its start or end
    (``Tweet Share Le ministère a…`` -> ``Le ministère a…``).

    Only a run of two widget words or more, one of them ``Tweet`` or
    ``Share``, goes: "Partager les ressources…" and "… un Tweet" are text.
    Numbers go with it when the widget shows counts (``Tweet 12 Share 3``);
    a number at the run's edge is the text's own otherwise (``Tweet Share 2 080 colis``).
    """
    if "Tweet" not in text and "Share" not in text:
        return text
    words = text.split()
    lead = 0
    while lead < len(words) and (words[lead] in _EDGE_WIDGET or words[lead].isdigit()):
        lead += 1
    # A French widget word followed by lower-case text starts the sentence
    # ("Tweet Share Partager les ressources…"): give it back to the text.
    while 0 < lead < len(words) and words[lead - 1] not in _EDGE_ENGLISH and words[lead][:1].islower():
        lead -= 1
    if not _widget_run(words[:lead]):
        lead = 0
    if lead and words[lead - 1].isdigit() and not any(w.isdigit() for w in words[: lead - 1]):
        lead -= 1  # no counts on the widget: the number starts the text
    end = len(words)
    while end > lead and (words[end - 1] in _EDGE_WIDGET or words[end - 1].isdigit()):
        end -= 1
    if not _widget_run(words[end:]):
        end = len(words)
    if end < len(words) and words[end].isdigit() and not any(w.isdigit() for w in words[end + 1 :]):
        end += 1  # no counts on the widget: the number ends the text
    if lead == 0 and end == len(words):
        return text
    return " ".join(words[lead:end])


def remove_promo(paragraphs: list[str], patterns: tuple[re.Pattern[str], ...]) -> tuple[list[str], int]:
    """Cut text matching any promo pattern out of the paragraphs.

    A paragraph left without a letter goes. Returns the paragraphs and the
    number of matches removed.
    """
    if not patterns:
        return paragraphs, 0
    out, removed = [], 0
    for para in paragraphs:
        text, hits = para, 0
        for rx in patterns:
            text, n = rx.subn(" ", text)
            hits += n
        if hits:
            removed += hits
            text = normalize_ws(text)
            if not any(c.isalpha() for c in text):
                continue
        out.append(text)
    return out, removed
