"""Word and sentence banks for the replica: sources per site and French prose.

Everything here is data plus small pure functions that draw from a
``random.Random`` passed in, so a given RNG state always yields the same text.
Texts come out already whitespace-normalised (single ASCII spaces).
"""

from __future__ import annotations

import random
import unicodedata

from newsagg.sites import SITES

#: Display name of each site (the ``<title>`` suffix: ``Titre - Maghress``).
SITE_NAMES = {key: site.name for key, site in SITES.items()}

# (display name, slug, newspaper domain). The first seven are the ones small
# corpora use, picked for nastiness: digits in names ("H24 Info", "Médias 24"),
# "Le"/"le" inside names ("Aujourd'hui le Maroc"), apostrophes and accents.
SOURCES: dict[str, list[tuple[str, str, str]]] = {
    "maghress": [
        ("H24 Info", "h24info", "www.h24info.ma"),
        ("Le Matin", "lematin", "lematin.ma"),
        ("L'Opinion", "lopinion", "www.lopinion.ma"),
        ("Libération", "liberation", "www.libe.ma"),
        ("Médias 24", "medias24", "www.medias24.com"),
        ("Aujourd'hui le Maroc", "aujourdhui", "aujourdhui.ma"),
        ("La Gazette du Maroc", "lagazette", "www.lagazettedumaroc.com"),
        ("2M", "2m", "2m.ma"),
        ("Le360", "le360", "fr.le360.ma"),
        ("Al Bayane", "albayane", "www.albayane.press.ma"),
        ("L'Economiste", "leconomiste", "www.leconomiste.com"),
        ("La Vie éco", "lavieeco", "www.lavieeco.com"),
        ("Maroc Diplomatique", "marocdiplomatique", "maroc-diplomatique.net"),
        ("Finances News", "fnh", "fnh.ma"),
        ("Challenge", "challenge", "www.challenge.ma"),
        ("TelQuel", "telquel", "telquel.ma"),
        ("Le Reporter", "lereporter", "www.lereporter.ma"),
        ("L'Observateur du Maroc", "lobservateur", "lobservateur.info"),
        ("Maroc Hebdo", "marochebdo", "www.maroc-hebdo.press.ma"),
        ("Le Desk", "ledesk", "ledesk.ma"),
        ("Yabiladi", "yabiladi", "www.yabiladi.com"),
        ("MAP Express", "mapexpress", "www.mapexpress.ma"),
        ("Le Site info", "lesiteinfo", "www.lesiteinfo.com"),
        ("Barlamane", "barlamane", "www.barlamane.com"),
        ("Les Inspirations ÉCO", "lesinspirations", "leseco.ma"),
        ("Bladi", "bladi", "www.bladi.net"),
        ("Menara", "menara", "www.menara.ma"),
        ("Infomédiaire", "infomediaire", "www.infomediaire.net"),
        ("Hespress FR", "hespressfr", "fr.hespress.com"),
        ("Le Brief", "lebrief", "www.lebrief.ma"),
    ],
    "djazairess": [
        ("El Watan", "elwatan", "www.elwatan.com"),
        ("Liberté", "liberte", "www.liberte-algerie.com"),
        ("L'Expression", "lexpression", "www.lexpressiondz.com"),
        ("Le Soir d'Algérie", "lesoirdalgerie", "www.lesoirdalgerie.com"),
        ("TSA", "tsa", "www.tsa-algerie.com"),
        ("Horizons", "horizons", "www.horizons.dz"),
        ("Algérie 360", "algerie360", "www.algerie360.com"),
        ("El Moudjahid", "elmoudjahid", "www.elmoudjahid.dz"),
        ("Le Quotidien d'Oran", "lequotidien", "www.lequotidien-oran.com"),
        ("La Tribune", "latribune", "www.latribune-dz.com"),
        ("Le Jeune Indépendant", "jeuneindependant", "www.jeune-independant.net"),
        ("L'Est Républicain", "estrepublicain", "www.lestrepublicain.com"),
        ("Le Courrier d'Algérie", "lecourrier", "www.lecourrier-dalgerie.com"),
        ("La Nouvelle République", "lnr", "www.lnr-dz.com"),
        ("Le Maghreb", "lemaghreb", "www.lemaghrebdz.com"),
        ("Reporters", "reporters", "www.reporters.dz"),
        ("APS", "aps", "www.aps.dz"),
        ("Algérie Patriotique", "algeriepatriotique", "www.algeriepatriotique.com"),
        ("Le Temps d'Algérie", "letemps", "www.letempsdz.com"),
        ("Le Midi Libre", "lemidi", "www.lemidi-dz.com"),
        ("Info Soir", "infosoir", "www.infosoir.com"),
        ("Algérie Eco", "algerieeco", "www.algerie-eco.com"),
        ("Maghreb Emergent", "maghrebemergent", "maghrebemergent.info"),
        ("Radio Algérie", "radioalgerie", "www.radioalgerie.dz"),
        ("DK News", "dknews", "www.dknews-dz.com"),
        ("Le Chiffre d'Affaires", "lechiffre", "www.lechiffredaffaires.com"),
        ("Dernières Infos d'Algérie", "dia", "dia-algerie.com"),
        ("Le Jour d'Algérie", "lejour", "www.lejourdalgerie.com"),
        ("Algérie 1", "algerie1", "www.algerie1.com"),
        ("Le Carrefour d'Algérie", "carrefour", "www.lecarrefourdalgerie.dz"),
    ],
    "turess": [
        ("La Presse", "lapresse", "lapresse.tn"),
        ("Le Temps", "letemps", "www.letemps.com.tn"),
        ("Business News", "businessnews", "www.businessnews.com.tn"),
        ("Tunisie Numérique", "tunisienumerique", "www.tunisienumerique.com"),
        ("Kapitalis", "kapitalis", "kapitalis.com"),
        ("Le Quotidien", "lequotidien", "www.lequotidien-tn.com"),
        ("Tunisie 14", "tunisie14", "www.tunisie14.tn"),
        ("Réalités", "realites", "www.realites.com.tn"),
        ("L'Economiste Maghrébin", "leconomiste", "www.leconomistemaghrebin.com"),
        ("Webdo", "webdo", "www.webdo.tn"),
        ("Espace Manager", "espacemanager", "www.espacemanager.com"),
        ("African Manager", "africanmanager", "africanmanager.com"),
        ("Directinfo", "directinfo", "directinfo.webmanagercenter.com"),
        ("Mosaïque FM", "mosaiquefm", "www.mosaiquefm.net"),
        ("TAP", "tap", "www.tap.info.tn"),
        ("Tekiano", "tekiano", "www.tekiano.com"),
        ("Leaders", "leaders", "www.leaders.com.tn"),
        ("Tunivisions", "tunivisions", "www.tunivisions.net"),
        ("Babnet", "babnet", "www.babnet.net"),
        ("Gnet", "gnet", "www.gnet.tn"),
        ("Tuniscope", "tuniscope", "www.tuniscope.com"),
        ("Shems FM", "shemsfm", "www.shemsfm.net"),
        ("L'Expert", "lexpert", "www.lexpert.tn"),
        ("Le Manager", "lemanager", "lemanager.tn"),
        ("Nawaat", "nawaat", "nawaat.org"),
        ("Jawhara FM", "jawharafm", "www.jawharafm.net"),
        ("Express FM", "expressfm", "www.radioexpressfm.com"),
        ("Tunisie Focus", "tunisiefocus", "www.tunisiefocus.com"),
        ("Le Maghreb", "lemaghreb", "www.lemaghreb.tn"),
        ("Huffpost Tunisie", "huffpost", "www.huffpostmaghreb.com"),
    ],
}

# Authors as the live author pages spell them (ANATOMY.md): (shown name,
# /fr/author/<slug>). Slugs: "+" for spaces, %27 for the apostrophe, accents
# percent-encoded, a "+" encoded twice (%2B), a date inside a name, two people
# in one name. The last one is junk: a link whose name is no name (null author).
AUTHORS_NAMED: list[tuple[str, str]] = [
    ("Mhand Kasmi", "Mhand+Kasmi"),
    ("Youssef Benkirane Jeudi 27 Février 2025", "Youssef+Benkirane+Jeudi+27+F%C3%A9vrier+2025"),
    ("Saïd BENKRAIEM et Chokri BEN NESSIR", "Sa%C3%AFd+BENKRAIEM+et+Chokri+BEN+NESSIR"),
    ("Aïcha L'Hadj", "A%C3%AFcha+L%27Hadj"),
    ("Nour El Houda Ben Ali", "Nour+El%2BHouda+Ben%2BAli"),
    ("Rédaction", "R%C3%A9daction"),
    ("Karim O'Neill", "Karim+O%27Neill"),
    ("Hamid Amrani 12 - 03 - 2021", "Hamid+Amrani+12+-+03+-+2021"),
]
AUTHORS: list[tuple[str | None, str]] = AUTHORS_NAMED + [(None, "%3F%3F%3F")]
#: The record's author where the shown name carries a date the site glued to it.
AUTHOR_RECORDS = {
    "Youssef Benkirane Jeudi 27 Février 2025": "Youssef Benkirane",
    "Hamid Amrani 12 - 03 - 2021": "Hamid Amrani",
}
#: What a junk author link shows.
JUNK_AUTHOR_TEXT = "???"

#: Promo lines copied into bodies, by (site, source index): turess/numerique's
#: YouTube line (ANATOMY.md) and two of the same kind.
PROMOS: dict[tuple[str, int], str] = {
    ("turess", 3): "Que se passe-t-il en Tunisie? Nous expliquons sur notre chaîne YouTube . Abonnez-vous!",
    ("maghress", 3): "Pour ne rien rater de l'actualité de {source}, abonnez-vous à notre chaîne WhatsApp.",
    ("djazairess", 2): "Suivez-nous sur Facebook, X et Instagram.",
}

CITIES = {
    "maghress": [
        "Rabat",
        "Casablanca",
        "Tanger",
        "Fès",
        "Marrakech",
        "Agadir",
        "Oujda",
        "Meknès",
        "Kénitra",
        "Béni Mellal",
    ],
    "djazairess": [
        "Alger",
        "Oran",
        "Constantine",
        "Annaba",
        "Sétif",
        "Tlemcen",
        "Béjaïa",
        "Blida",
        "Ouargla",
        "Tizi Ouzou",
    ],
    "turess": ["Tunis", "Sfax", "Sousse", "Bizerte", "Gabès", "Kairouan", "Monastir", "Nabeul", "Gafsa", "Djerba"],
}
CURRENCY = {"maghress": "dirhams", "djazairess": "dinars", "turess": "dinars"}
COUNTRY = {"maghress": "le Maroc", "djazairess": "l'Algérie", "turess": "la Tunisie"}

_SUBJECTS = [
    "Le ministre de l'Économie",
    "La Banque centrale",
    "Le gouvernement",
    "Les autorités locales",
    "Le Haut-Commissariat au Plan",
    "La direction régionale de la santé",
    "Le président de la commune",
    "Les professionnels du secteur",
    "L'Office national de l'électricité",
    "Le syndicat des enseignants",
    "La société civile",
    "Un porte-parole du ministère",
    "Les agriculteurs de la région",
    "La fédération nationale",
    "Les observateurs",
    "Le conseil d'administration",
    "L'agence de développement",
    "Le wali de la région",
    "Les opérateurs touristiques",
    "La commission parlementaire",
]
_VERBS = [
    "a annoncé",
    "a confirmé",
    "a signalé",
    "a présenté",
    "a dévoilé",
    "a souligné",
    "a rappelé",
    "a démenti",
    "a salué",
    "prévoit",
    "envisage",
    "a lancé",
    "a adopté",
    "a examiné",
    "a critiqué",
]
_OBJECTS = [
    "un nouveau programme d'investissement",
    "une hausse de {pct} % des exportations",
    "la création de {n} emplois",
    "un plan d'urgence pour l'eau potable",
    "la réforme du code du travail",
    "le budget de l'année {year}",
    "l'ouverture d'un nouveau port à {city}",
    "une baisse sensible des prix",
    "le lancement d'une plateforme numérique",
    "un accord de partenariat avec l'Union européenne",
    "la rénovation de {n} écoles rurales",
    "un déficit de {n} millions de {cur}",
    "la construction d'une usine de dessalement",
    "les résultats du recensement",
    "un programme de formation destiné aux jeunes",
    "la hausse du prix du carburant",
]
_COMPLEMENTS = [
    "lors d'une conférence de presse tenue mardi à {city}",
    "selon une source proche du dossier",
    "d'après les chiffres publiés jeudi",
    "à l'issue d'une réunion à huis clos",
    "dans un communiqué rendu public lundi",
    "en marge du forum organisé à {city}",
    "devant les membres de la commission",
    "au terme d'une visite de travail à {city}",
    "malgré les réserves exprimées par l'opposition",
    "pour la deuxième année consécutive",
    "selon la même source",
    "à en croire les premières estimations",
]
_QUOTES = [
    "Nous sommes sur la bonne voie",
    "Il faut aller plus vite",
    "C'est une étape décisive pour le pays",
    "La situation reste préoccupante",
    "Nous n'avons pas le droit à l'erreur",
    "Les résultats parlent d'eux-mêmes",
    "Rien n'est encore joué",
    "Ce projet changera la vie des habitants",
]
_PERSONS = [
    "Ahmed Benali",
    "Fatima Zahra El Idrissi",
    "Karim Haddad",
    "Nadia Bensalah",
    "Youssef Amrani",
    "Leïla Cherif",
    "Mehdi Ouazzani",
    "Samira Belkacem",
    "Rachid Tazi",
    "Amina Bouzid",
    "Hichem Gharbi",
    "Recep Tayyip Erdoğan",
    "Ștefan Popescu",
    "Zoë Lefèvre",
]
_ROLES = [
    "directeur général de l'agence",
    "économiste",
    "président de l'association",
    "député de la majorité",
    "porte-parole du gouvernement",
    "chercheur à l'université de {city}",
    "élu local",
]
_ARABIC_PAPERS = [("Assabah", "الصباح"), ("Al Massae", "المساء"), ("El Khabar", "الخبر"), ("Echorouk", "الشروق")]
_SUBHEADINGS = [
    "Pas de communiqué commun ni d'accord",
    "Un calendrier serré",
    "Les chiffres clés",
    "Réactions contrastées",
    "Un précédent en 2019",
    "Ce qui change pour les usagers",
    "Des moyens encore insuffisants",
    "Un enjeu régional",
    "Vers une deuxième phase",
]
_TITLE_TOPICS = [
    "Eau potable",
    "Tourisme",
    "Enseignement",
    "Santé",
    "Énergie",
    "Agriculture",
    "Transport",
    "Football",
    "Diplomatie",
    "Culture",
    "Emploi",
    "Immobilier",
    "Numérique",
    "Sécurité routière",
]
_TITLE_CLAIMS = [
    "un nouveau plan pour {n} communes",
    "les prix repartent à la hausse",
    "le gouvernement annonce des mesures",
    "les professionnels tirent la sonnette d'alarme",
    "un accord signé à {city}",
    "{n} millions de {cur} débloqués",
    "la réforme adoptée en conseil",
    "les chiffres du premier trimestre",
    "un bilan mitigé pour {year}",
    "le projet prend du retard",
    "une première dans la région",
    "l'opposition dénonce un « passage en force »",
]
#: Title words a rewriting newspaper swaps (near-duplicates): word -> replacement.
TITLE_SYNONYMS = {
    "nouveau": "vaste",
    "annonce": "dévoile",
    "hausse": "progression",
    "mesures": "dispositions",
    "accord": "protocole",
    "signé": "conclu",
    "première": "inédite",
    "bilan": "constat",
    "projet": "chantier",
    "retard": "délai",
    "débloqués": "mobilisés",
    "adoptée": "validée",
    "chiffres": "statistiques",
    "alarme": "panique",
    "mitigé": "contrasté",
    "plan": "programme",
    "prend": "accuse",
    "repartent": "remontent",
    "dénonce": "fustige",
}


def _fill(rng: random.Random, template: str, site: str) -> str:
    if "{" not in template:
        return template
    values = {}  # draw only what the template uses (rendering speed)
    if "{pct}" in template:
        values["pct"] = f"{rng.randint(1, 19)},{rng.randint(1, 9)}"
    if "{n}" in template:
        values["n"] = rng.choice((3, 12, 40, 150, 250, 1200, 3500))
    if "{year}" in template:
        values["year"] = rng.randint(2019, 2026)
    if "{city}" in template:
        values["city"] = rng.choice(CITIES[site])
    if "{cur}" in template:
        values["cur"] = CURRENCY[site]
    return template.format(**values)


def make_title(rng: random.Random, site: str) -> str:
    """A headline: ``Topic : claim``, ``City : claim`` or ``« quote », estime X``."""
    kind = rng.random()
    if kind < 0.45:
        head = rng.choice(_TITLE_TOPICS)
    elif kind < 0.8:
        head = rng.choice(CITIES[site])
    else:
        return f"« {rng.choice(_QUOTES)} », estime {rng.choice(_PERSONS)}"
    return f"{head} : {_fill(rng, rng.choice(_TITLE_CLAIMS), site)}"


def _subject_verb(rng: random.Random) -> tuple[str, str]:
    """A subject and a verb agreeing with it ("Les observateurs ont salué")."""
    subj, verb = rng.choice(_SUBJECTS), rng.choice(_VERBS)
    if subj.startswith("Les "):
        verb = "ont" + verb[1:] if verb.startswith("a ") else verb[:-1] + "ent" if verb.endswith("t") else verb + "nt"
    return subj, verb


def make_sentence(rng: random.Random, site: str) -> str:
    """One French sentence with punctuation that French typography spaces (: ; ? !)."""
    k = rng.random()
    subj, verb = _subject_verb(rng)
    obj = _fill(rng, rng.choice(_OBJECTS), site)
    comp = _fill(rng, rng.choice(_COMPLEMENTS), site)
    if k < 0.40:
        return f"{subj} {verb} {obj} {comp}."
    if k < 0.55:
        role = _fill(rng, rng.choice(_ROLES), site)
        return f"«{rng.choice(_QUOTES)}», a déclaré {rng.choice(_PERSONS)}, {role}."
    if k < 0.63:
        return f"Le constat est sans appel : {subj.lower()} {verb} {obj}."
    if k < 0.70:
        subj2, verb2 = _subject_verb(rng)
        return f"{subj} {verb} {obj} ; {subj2.lower()} {verb2} {comp}."
    if k < 0.76:
        return f"Mais qu'en est-il des {rng.choice(['petites entreprises', 'zones rurales', 'jeunes diplômés'])} ?"
    if k < 0.80:
        return rng.choice(["Une première !", "Le bilan ? Mitigé.", "Affaire à suivre !"])
    if k < 0.85:
        latin, arabic = rng.choice(_ARABIC_PAPERS)
        return f"Le quotidien arabophone {latin} ({arabic}) rapporte que {subj.lower()} {verb} {obj}."
    if k < 0.90:
        return f"Aucun incident n'a été signalé {comp}, a précisé une source sécuritaire."
    if k < 0.95:
        return f"En {rng.randint(2015, 2024)}, {COUNTRY[site]} comptait {rng.randint(2, 98)} {rng.choice(['000 entreprises', 'millions d’habitants', '% de chômeurs'])} selon le HCP."
    return f"Partager les ressources entre les régions reste un défi pour {rng.choice(_SUBJECTS).lower()}."


def make_body(rng: random.Random, site: str) -> list[list[str]]:
    """Paragraphs as lists of sentences; a one-item list without final period is a subheading."""
    paras = []
    for _ in range(rng.randint(3, 8)):
        sentences: list[str] = []
        for _ in range(rng.randint(1, 4)):
            sentence = make_sentence(rng, site)
            if sentence not in sentences:  # no stutter inside a paragraph
                sentences.append(sentence)
        paras.append(sentences)
    if len(paras) > 2 and rng.random() < 0.35:
        paras.insert(rng.randint(2, len(paras) - 1), [rng.choice(_SUBHEADINGS)])
    return paras


def typographic_apostrophes(text: str) -> str:
    """Some newspapers use ’ instead of ' (the ground truth keeps whichever is served)."""
    return text.replace("'", "\u2019")


def ascii_slug(text: str, max_words: int = 8) -> str:
    """``Énergie : un plan`` -> ``energie-un-plan`` (for newspapers' own URLs)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    return "-".join(words[:max_words]) or "article"
