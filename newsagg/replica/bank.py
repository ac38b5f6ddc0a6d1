"""Word banks for the replica: sources, authors, promo lines, cities per site.

Data plus small pure functions; the prose itself is written by prose.py.
"""

from __future__ import annotations

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


def typographic_apostrophes(text: str) -> str:
    """Some newspapers use ’ instead of ' (the ground truth keeps whichever is served)."""
    return text.replace("'", "\u2019")


def ascii_slug(text: str, max_words: int = 8) -> str:
    """``Énergie : un plan`` -> ``energie-un-plan`` (for newspapers' own URLs)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    return "-".join(words[:max_words]) or "article"
