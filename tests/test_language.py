"""newsagg.language.detect on real-looking strings, the pipeline's counts and the summary's section."""

from __future__ import annotations

import pytest

from newsagg.extensions.summary import format_summary
from newsagg.items import ArticleItem
from newsagg.language import detect
from newsagg.pipelines.language import LanguagePipeline
from newsagg.stats import summarize

YABILADI_EN = (
    "After the CJEU rulings, Morocco demands deeds not words from the EU",
    "Morocco expects its European partners to follow the court's rulings with concrete steps on trade.",
)


@pytest.mark.parametrize(
    "title, body, language",
    [
        # maghress.com/fr/yabiladi/156680: English under /fr/, French byline (not part of title or body)
        (*YABILADI_EN, "en"),
        (
            "En Marsella, Samia Chabani pone rostros a la migración de mujeres",
            "La historiadora recoge desde hace veinte años los relatos de las mujeres llegadas del Magreb.",
            "es",
        ),
        (
            "Kim Jong-un est arrivé en Russie pour un sommet avec Poutine",
            "Kim Jong-un et Vladimir Poutine se rencontreront jeudi à Vladivostok. Aucun accord n'est prévu.",
            "fr",
        ),
        # French quoting Arabic (the letters of the quote outnumber no French ones): French
        (
            "Alger : les manifestants devant la wilaya",
            "Les manifestants scandaient « ارحل ارحل يا حكومة الفساد » devant le siège de la wilaya.",
            "fr",
        ),
        (
            "Revue de presse",
            "Le quotidien arabophone Assabah (الصباح) rapporte que le conseil a adopté le texte.",
            "fr",
        ),
        # French quoting English: French
        (
            "Salon de l'industrie",
            "Le slogan « Made in Morocco, made for the world » a été repris par plusieurs exposants.",
            "fr",
        ),
        # Arabic with a French name in it: Arabic
        ("المغرب والشيلي يتفقان على تعزيز الشراكة", "قال وزير الخارجية ناصر بوريطة إن Maroc-Chili شراكة.", "ar"),
        # a one-line body is read with its title
        ("Tizi Ouzou : un incendie ravage 40 hectares de forêt", "Vidéo.", "fr"),
        ("Casablanca tram crash leaves three dead", "Video.", "en"),
        # no word at all: the section's language
        ("2025", "12 - 03 - 2021", "fr"),
        (None, None, "fr"),
    ],
)
def test_detect(title, body, language):
    assert detect(title, body) == language


class Stats(dict):
    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


def test_pipeline_sets_and_counts_the_language():
    stats = Stats()
    pipe = LanguagePipeline(stats)
    items = [
        ArticleItem(url="u1", site="maghress", source_slug="yabiladi", title=YABILADI_EN[0], body=YABILADI_EN[1]),
        ArticleItem(url="u2", site="maghress", source_slug="lematin", title="Le Maroc et le Chili", body="Le texte."),
    ]
    assert [pipe.process_item(it).language for it in items] == ["en", "fr"]
    assert stats == {}  # counted once written (item_scraped), not when read
    for it in items:
        pipe.item_scraped(it)
    assert stats == {"newsagg/language/en": 1, "newsagg/language/fr": 1}
    summary = summarize({**stats, "newsagg/body/doubled": 1})
    assert summary["languages"] == {"en": 1, "fr": 1}
    assert "language/en" not in summary["other"]
    text = format_summary(summary)
    assert "  languages:\n    en" in text and "\n    fr " in text
