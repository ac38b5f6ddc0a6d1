"""Text cleaning: parametrized tables of real strings."""

from __future__ import annotations

import random
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsagg.text import (
    clean_paragraphs,
    clean_title,
    fingerprint,
    fingerprint_words,
    is_label_line,
    is_modal_text,
    is_source_link_text,
    normalize_ws,
    strip_boilerplate_sentences,
    word_count,
)


@pytest.mark.parametrize(
    "raw, want",
    [
        ("  Kim   Jong-un\n est arrivé ", "Kim Jong-un est arrivé"),
        ("Le Maroc\u00a0: une «\u00a0relation\u00a0»", "Le Maroc : une « relation »"),
        ("tab\tand\r\nnewline", "tab and newline"),
        ("narrow\u202fnbsp\u2009thin", "narrow nbsp thin"),
        ("zero\u200bwidth", "zero width"),
        ("soft\u00adhyphen", "softhyphen"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_ws(raw, want):
    assert normalize_ws(raw) == want


@pytest.mark.parametrize(
    "text, modal",
    [
        ("Merci d'avoir signalé!", True),
        ("Merci d’avoir signalé !", True),
        ("Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.", True),
        (
            "Merci d'avoir signalé! Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.",
            True,
        ),
        ("MERCI D'AVOIR SIGNALE!", True),
        ("Le ministère a signalé deux cas.", False),
        ("Merci d'avoir signalé ce problème aux autorités, a-t-il déclaré.", False),
        ("", False),
    ],
)
def test_is_modal_text(text, modal):
    assert is_modal_text(text) is modal


@pytest.mark.parametrize(
    "text, yes",
    [
        ("Cliquez ici pour lire l'article depuis sa source.", True),
        ("Cliquez ici pour lire l’article depuis sa source", True),
        ("cliquez ici pour lire l'article depuis sa source.", True),
        ("Cliquez ici pour lire la suite.", False),
        ("Selon la source, l'article a été retiré.", False),
    ],
)
def test_is_source_link_text(text, yes):
    assert is_source_link_text(text) is yes


@pytest.mark.parametrize(
    "text, yes",
    [
        ("Partager", True),
        ("Partager sur Facebook", True),
        ("Les plus lus", True),
        ("LES PLUS LUS :", True),
        ("Twitter", True),
        ("Suivant »", True),
        ("Partager le pouvoir est difficile.", False),
        ("Facebook a annoncé un nouveau service.", False),
    ],
)
def test_is_label_line(text, yes):
    assert is_label_line(text) is yes


@pytest.mark.parametrize(
    "text, want",
    [
        (
            "Fin du texte. Merci d'avoir signalé! Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.",
            "Fin du texte.",
        ),
        ("Fin. Cliquez ici pour lire l'article depuis sa source.", "Fin."),
        ("Le cas a été signalé à la police.", "Le cas a été signalé à la police."),
        ("Aucune source n'a confirmé.", "Aucune source n'a confirmé."),
    ],
)
def test_strip_boilerplate_sentences(text, want):
    assert strip_boilerplate_sentences(text) == want


def test_clean_paragraphs_drops_boilerplate_keeps_words():
    paras = [
        "Merci d'avoir signalé!",
        "Une fois n'est pas coutume, le fait a été signalé par la presse.",
        "  ",
        "Partager",
        "Syrie: La récompense US pour des informations sur Al Joulani maintenue",
        "Pas de communiqué commun ni d'accord",
        "Cliquez ici pour lire l'article depuis sa source.",
    ]
    ticker = {"Syrie: La récompense US pour des informations sur Al Joulani maintenue"}
    assert clean_paragraphs(paras, ticker) == [
        "Une fois n'est pas coutume, le fait a été signalé par la presse.",
        "Pas de communiqué commun ni d'accord",
    ]


@pytest.mark.parametrize(
    "raw, want",
    [
        ("Kim Jong-un est arrivé en Russie - Maghress", "Kim Jong-un est arrivé en Russie"),
        ("Kim Jong-un est arrivé en Russie | Maghress", "Kim Jong-un est arrivé en Russie"),
        ("Maroc-Chili : Vers un partenariat renforcé", "Maroc-Chili : Vers un partenariat renforcé"),
        ("Merci d'avoir signalé!", ""),
    ],
)
def test_clean_title(raw, want):
    assert clean_title(raw, ("Maghress",)) == want


@pytest.mark.parametrize(
    "body, n",
    [
        ("", 0),
        ("Kim Jong-un est arrivé", 4),
        ("l'article d'aujourd'hui", 2),
        ("2 millions de livres saisies", 5),
        ("«La rencontre», a-t-il dit.", 4),
        ("Un.\n\nDeux trois.", 3),
    ],
)
def test_word_count(body, n):
    assert word_count(body) == n


def test_fingerprint_ignores_case_accents_spacing_punctuation():
    a = fingerprint("Kim Jong-un est arrivé", "Premier paragraphe.\n\nDeuxième.")
    assert a == fingerprint("KIM  jong-un est arrive", "Premier paragraphe\n\ndeuxième !")
    assert a != fingerprint("Kim Jong-un est arrivé", "Premier paragraphe.\n\nTroisième.")
    assert len(a) == 40


@pytest.mark.parametrize(
    "text, yes",
    [("Publicité", True), ("PUBLICITE", True), ("- Publicité -", True), ("La publicité en ligne progresse.", False)],
)
def test_is_ad_label(text, yes):
    from newsagg.text import is_ad_label

    assert is_ad_label(text) is yes


# The replica's ground truth computes word_count and fingerprint on its own
# (newsagg/replica/truth.py); both implementations must give these literal
# values, so neither can drift without a test failing (and the end-to-end
# comparisons catch the crawler's side on every article).
MEASURES = [
    ("Un titre", "Le fait a été signalé hier.", 6, "un titre le fait a ete signale hier"),
    (
        "Kim Jong-un est arrivé en Russie",
        "Aujourd’hui, l'État a décidé : 2 000 dirhams.",
        7,
        "kim jong-un est arrive en russie aujourd'hui l'etat a decide 2 000 dirhams",
    ),
    (
        "ÉCOLE `Publique`",
        "Les élèves -- et les profs - sont là...\n\nSuite_2 ici.",
        9,
        "ecole publique les eleves et les profs sont la suite_2 ici",
    ),
    (None, "Straße, œuvre, ﬁn, Ｈ２４", 4, "strasse œuvre fin h24"),
    ("  ", None, 0, ""),
    (
        "L’art d'aujourd'hui",
        "rock'n'roll ' isolé ' et tiret- final -début",
        6,
        "l'art d'aujourd'hui rock'n'roll isole et tiret final debut",
    ),
]


@pytest.mark.parametrize(("title", "body", "words", "folded"), MEASURES)
def test_measures_match_the_truths_own_implementation(title, body, words, folded):
    import hashlib

    from newsagg.replica.truth import truth_fingerprint, truth_word_count
    from newsagg.text import normalize_for_fingerprint

    assert word_count(body) == truth_word_count(body) == words
    assert normalize_for_fingerprint(title, body) == folded
    assert fingerprint(title, body) == truth_fingerprint(title, body) == hashlib.sha1(folded.encode()).hexdigest()


@pytest.mark.parametrize(
    ("text", "ends", "before"),
    [
        ("Cliquez ici pour lire l'article depuis sa source.", True, ""),
        (
            "Le marché a clôturé en hausse. Cliquez ici pour lire l’article depuis sa source.",
            True,
            "Le marché a clôturé en hausse.",
        ),
        ("Fin du texte cliquez ici pour lire l'article depuis sa source  ", True, "Fin du texte"),
        ("Cliquez ici pour lire l'article depuis sa source. Et une suite.", False, ""),
        ("Un paragraphe ordinaire.", False, ""),
    ],
)
def test_trailing_source_link(text, ends, before):
    from newsagg.text import ends_with_source_link, text_before_source_link

    assert ends_with_source_link(text) is ends
    assert text_before_source_link(text) == before


# --- fast paths: each equals the plain code it stands for -------------------

_TRICKY = list("aeiklmnoqrsuvzAEIKLQSU ’'`-.!?\n\u00a0\u200b\u200c\u00ad\u0301\u0307") + [
    "é",
    "É",
    "İ",
    "ı",
    "ſ",
    "\u212a",
    "Σ",
    "ß",
    "½",
    "ﬁ",
    "™",
    "¨",
    "ل",
]
_PIECES = [
    "Merci d'avoir signalé !",
    "merci d’avoir signale!",
    "Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.",
    "Cliquez ici pour lire l'article depuis sa source.",
    "CLIQUEZ ICI POUR LIRE L’ARTICLE DEPUIS SA SOURCE",
    "Le fait a été signalé.",
    "Que se passe-t-il en Tunisie ? Nous expliquons sur notre chaîne YouTube. Abonnez-vous !",
    "Pour ne rien rater de l'actualité, abonnez-vous à notre chaîne WhatsApp.",
    "Suivez-nous sur Facebook et X.",
    "Tweet Share",
]
_MIXED = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(alphabet=st.sampled_from(_TRICKY), max_size=12)), max_size=6
)


def _reference_strip_boilerplate_sentences(text: str) -> str:
    """strip_boilerplate_sentences without its pre-check."""
    from newsagg.text import _MODAL_RE, _SOURCE_LINK_RE, _fold

    low = text.lower()
    if "ignal" not in low and "cliquez" not in low:
        return normalize_ws(text)
    out = text
    for rx in (_MODAL_RE, _SOURCE_LINK_RE):
        if not rx.search(_fold(out)):
            continue
        view = "".join(c.lower() if len(c.lower()) == 1 else c for c in out.replace("\u2019", "'"))
        for start, end in reversed([m.span() for m in rx.finditer(view)]):
            out = out[:start] + " " + out[end:]
    return normalize_ws(out)


@given(_MIXED)
def test_strip_boilerplate_sentences_equals_the_plain_version(parts):
    text = " ".join(parts)
    assert strip_boilerplate_sentences(text) == _reference_strip_boilerplate_sentences(text)
    # clean_paragraphs skips normalising again what it normalised already
    assert clean_paragraphs(parts + [text]) == _reference_clean_paragraphs(parts + [text])


def _reference_clean_paragraphs(paragraphs):
    from newsagg.text import is_ad_label, strip_share_words

    out = []
    for para in paragraphs:
        p = normalize_ws(para)
        if not p or is_modal_text(p) or is_source_link_text(p) or is_label_line(p) or is_ad_label(p):
            continue
        p = strip_share_words(_reference_strip_boilerplate_sentences(p))
        if p:
            out.append(p)
    return out


def test_lower_view_is_the_char_for_char_lower_case():
    from newsagg.text import _lower_view

    def plain(text):
        return "".join(c.lower() if len(c.lower()) == 1 else c for c in text.replace("\u2019", "'"))

    every = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF)
    assert _lower_view(every) == plain(every)
    for text in ("Σ", "ΑΣ Σ", "İstanbul", "l’État", "plain ascii"):
        assert _lower_view(text) == plain(text)


def _reference_normalize_for_fingerprint(title, body):
    """normalize_for_fingerprint with the whitespace pass it skips."""
    from newsagg.text import _WORD, _fold

    return " ".join(_WORD.findall(_fold(f"{title or ''}\n{body or ''}")))


@given(st.one_of(st.none(), st.text(alphabet=st.sampled_from(_TRICKY), max_size=20)), _MIXED)
def test_fingerprint_words_and_word_count_equal_the_plain_versions(title, parts):
    from newsagg.text import normalize_for_fingerprint, word_count_and_fingerprint

    body = " ".join(parts) or None
    want = _reference_normalize_for_fingerprint(title, body)
    assert normalize_for_fingerprint(title, body) == want
    assert word_count_and_fingerprint(title, body) == (word_count(body), fingerprint(title, body))


@given(st.text(max_size=40), st.text(max_size=40))
def test_word_count_and_fingerprint_on_any_text(title, body):
    from newsagg.text import word_count_and_fingerprint

    assert _reference_normalize_for_fingerprint(title, body) == " ".join(fingerprint_words(title, body))
    assert word_count_and_fingerprint(title, body) == (word_count(body), fingerprint(title, body))


def _spoof(text: str, rng: random.Random) -> str:
    """Letters swapped for what re.I also matches to them (ı İ ſ K), or upper-cased."""
    swaps = {"i": ("ı", "İ", "I"), "s": ("ſ", "S"), "k": ("\u212a", "K")}
    return "".join(rng.choice(swaps[c]) if c in swaps and rng.random() < 0.3 else c for c in text)


def test_ignore_case_view_covers_every_re_ignorecase_match_of_ascii():
    from newsagg.text import _ignore_case_view

    # Every code point re.I matches to a printable ASCII character becomes that character, lower-cased.
    ascii_i = re.compile(r"[\x20-\x7e]", re.I)
    for i in range(sys.maxunicode + 1):
        c = chr(i)
        if i > 0x7F and ascii_i.fullmatch(c):
            matched = [a for a in map(chr, range(0x20, 0x7F)) if re.fullmatch(re.escape(a), c, re.I)]
            assert matched and all(a.lower() in _ignore_case_view(c) for a in matched), hex(i)


def _reference_clean_title(title, site_names):
    """clean_title without its needle pre-check."""
    t = normalize_ws(title)
    for name in site_names:
        t = re.sub(rf"\s*[-|–—:]\s*{re.escape(name)}\s*$", "", t, flags=re.I)
    if is_modal_text(t) or is_source_link_text(t):
        return ""
    return t


@given(
    st.lists(
        st.one_of(
            st.sampled_from(["Titre", " - ", " | ", ": ", "Maghress", "maghress.com", "TURESS", "Djazairess", "  "]),
            st.text(alphabet=st.sampled_from(_TRICKY), max_size=6),
        ),
        max_size=6,
    ),
    st.integers(0, 2**16),
)
def test_clean_title_equals_the_plain_version(parts, seed):
    from newsagg.sites import SITE_NAMES

    title = _spoof("".join(parts), random.Random(seed))
    for names in (SITE_NAMES, ("Maghress", "Société Générale"), ()):
        assert clean_title(title, names) == _reference_clean_title(title, names)


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4), st.integers(0, 2**16))
def test_strip_boilerplate_sentences_with_re_ignorecase_lookalikes(parts, seed):
    text = _spoof(" ".join(parts), random.Random(seed))
    assert strip_boilerplate_sentences(text) == _reference_strip_boilerplate_sentences(text)


def test_boilerplate_needles_are_in_the_regexes_and_plain_under_ignorecase():
    from newsagg.text import _MODAL_RE, _SOURCE_LINK_RE

    for needle in ("merc", "automat"):
        assert needle in _MODAL_RE.pattern
    for needle in ("quez", "pour l"):
        assert needle in _SOURCE_LINK_RE.pattern
    # Their characters match under re.I only in their two ASCII cases.
    rx = re.compile("[mercautoqzpl ]", re.I)
    assert {chr(i) for i in range(sys.maxunicode + 1) if rx.fullmatch(chr(i))} == set("mercautoqzpl MERCAUTOQZPL")


def test_no_word_character_is_a_combining_mark():
    # _fold_keeps_words rests on it: NFKD's reordering never moves a word character.
    import unicodedata

    word = re.compile(r"\w")
    assert [hex(i) for i in range(sys.maxunicode + 1) if unicodedata.combining(chr(i)) and word.match(chr(i))] == []
