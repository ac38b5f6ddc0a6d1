"""The language of an article: an ISO 639-1 code from its title and body (pure).

The main language is the script with more letters (a French text quoting
Arabic is French), then, for Latin-script text, py3langid's naive Bayes model
(shipped inside the package: nothing is downloaded) restricted to the Latin
languages the family's sections publish (:data:`LATIN`). Title and body are
read together (their opening), so a one-line body is read with its title; a
text without a word gets :data:`DEFAULT`, the section's language. The choice and its
accuracy on short texts: benchmarks/bench_language.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: The section's language: what a text without a word gets.
DEFAULT = "fr"
#: Latin-script languages seen in the French sections (articles and tickers).
LATIN = ("fr", "en", "es")
#: Characters read: the opening of title + body (as accurate as 1,000 on the
#: benchmark's texts, for two thirds of the time).
_READ = 400

# Arabic script (Arabic, its supplements and presentation forms).
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+")
_LETTERS = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")


def detect(title: str | None, body: str | None) -> str:
    """ISO 639-1 code of the main language of *title* and *body*."""
    text = f"{title or ''}\n{body or ''}"[:_READ]
    arabic = sum(len(run) for run in _ARABIC.findall(text))
    if arabic and arabic * 2 > len(_LETTERS.findall(text)):
        return "ar"
    if arabic:
        text = _ARABIC.sub(" ", text)
    if _WORD.search(text) is None:
        return DEFAULT
    return _model().classify(text)[0]


@lru_cache(maxsize=1)
def _model():
    """py3langid's model restricted to :data:`LATIN`, loaded once per process (~0.4 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE)
    model.set_languages(list(LATIN))
    return model
