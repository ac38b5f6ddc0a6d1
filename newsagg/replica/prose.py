"""News prose for the replica: titles and bodies in French, English and Spanish.

A small grammar over a large vocabulary: every slot of a sentence (who, what,
on what, where, when, how much) is drawn from lists of tens to hundreds of
entries, and no more than three fixed words stand between two slots. So two
unrelated articles share about as many five-word runs as real news does (a
stock phrase now and then: "selon la même source"), and the near-duplicate
index finds the planted rewrites, not a shared sentence bank. Pure functions
of the ``random.Random`` passed in; texts come out whitespace-normalised.
"""

from __future__ import annotations

import random

from . import bank


def _split(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split("|") if w.strip())


# --- shared: people ---------------------------------------------------------------

FIRST_NAMES = _split(
    "Ahmed|Fatima Zahra|Karim|Nadia|Youssef|Leïla|Mehdi|Samira|Rachid|Amina|Hichem|Sofiane|Meriem|Omar|Khadija|"
    "Anis|Yasmine|Walid|Salma|Hamza|Imane|Nabil|Sanaa|Tarek|Houda|Adel|Rim|Mounir|Latifa|Ilyes|Zineb|Farid|Asma|"
    "Réda|Ghita|Slim|Hajer|Mourad|Souad|Bilal|Nawal|Kamel|Wafa|Abdelkader|Loubna|Mustapha|Jamel|Sihem|Driss|Hind|"
    "Lotfi|Ines|Aziz|Chaïmae|Fethi|Malika|Noureddine|Amal|Ridha|Saïd|Dounia|Habib|Olfa|Jalil|Kenza|Mokhtar|Myriam|"
    "Zoë|Ștefan|Recep Tayyip|Abdellatif|Nezha|Brahim|Hafsa|Younes|Sabrina|Othmane|Najat|Skander|Faouzia"
)
LAST_NAMES = _split(
    "Benali|El Idrissi|Haddad|Bensalah|Amrani|Cherif|Ouazzani|Belkacem|Tazi|Bouzid|Gharbi|Alaoui|Benjelloun|"
    "Chraibi|Fassi Fihri|Berrada|Lahlou|Bennani|Kettani|Sqalli|Mansouri|Belhadj|Hamdi|Trabelsi|Jebali|Ben Salem|"
    "Saidi|Zouari|Mejri|Chebbi|Mebarki|Zerrouki|Hadjadj|Benmansour|Ait Ahmed|Ouali|Slimani|Lamrani|Bouchareb|"
    "Kaci|Meziane|Ferhat|Boudiaf|Amara|Hamrouni|Karoui|Dridi|Sfar|Mabrouk|Ben Youssef|Chaouch|Naciri|Sebti|"
    "Filali|Ziani|Rahmouni|Tlemçani|Derradji|Khelifa|Bouazza|El Fassi|Erdoğan|Popescu|Lefèvre|Guedira|Moussaoui|"
    "Benhima|Oufkir|Zniber|Ghali|Saadi|Mekki|Jaziri|Louati|Khiari|Belaïd|Hachani|Abbassi|Chakroun|Dahmani"
)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def place(rng: random.Random, site: str) -> str:
    return rng.choice(bank.CITIES[site])


def _n(rng: random.Random) -> str:
    """A count as newspapers print it (``1 200`` with a space from a thousand on)."""
    n = rng.choice((rng.randint(2, 99), rng.randint(100, 990), rng.randint(1, 60) * 100 + rng.randint(0, 9) * 10))
    return f"{n:,}".replace(",", " ")


def _pct(rng: random.Random, decimal: str = ",") -> str:
    return f"{rng.randint(1, 39)}{decimal}{rng.randint(1, 9)}"


# --- French -----------------------------------------------------------------------

#: Arabic-language papers, quoted by name in both scripts.
ARABIC_PAPERS = (("Assabah", "الصباح"), ("Al Massae", "المساء"), ("El Khabar", "الخبر"), ("Echorouk", "الشروق"))
#: Slogans quoted in Arabic inside French text.
ARABIC_SLOGANS = ("ارحل", "الشعب يريد الماء", "لا للغلاء", "التشغيل حق", "نريد الطريق", "كرامة حرية عدالة اجتماعية")

_FR_DOMAINS = _split(
    "de la Santé|de l'Agriculture|du Tourisme|de l'Éducation nationale|de l'Équipement|de l'Intérieur|des Finances|"
    "de l'Habitat|du Commerce|de l'Industrie|de la Culture|des Transports|de l'Énergie|de l'Eau|de la Jeunesse|"
    "des Sports|de la Pêche maritime|de l'Emploi|de la Justice|de l'Environnement|du Numérique|de la Solidarité|"
    "de l'Enseignement supérieur|de la Formation professionnelle|des Travaux publics|de l'Artisanat|"
    "de la Communication|de la Recherche scientifique|des Collectivités locales|de l'Urbanisme|"
    "de l'Aménagement du territoire|de la Protection civile|des Forêts|des Ressources hydrauliques|du Patrimoine|"
    "de la Famille|de l'Investissement|des Mines|de la Poste|du Logement"
)
_FR_BODIES = _split(
    "le ministère|la direction régionale|la direction générale|l'office national|l'agence nationale|"
    "le département|la commission|le conseil supérieur|l'inspection générale|le secrétariat d'État|"
    "la délégation provinciale|le service|l'observatoire national|la cellule de veille|le comité de suivi|"
    "le centre régional|l'institut national|la fédération|la chambre|l'autorité de régulation|"
    "la direction de wilaya|le fonds national|la caisse nationale|la société nationale"
)
_FR_GROUPS = _split(
    "les professionnels|les agriculteurs|les habitants|les commerçants|les enseignants|les médecins|"
    "les transporteurs|les élus|les syndicats|les parents d'élèves|les étudiants|les artisans|les pêcheurs|"
    "les investisseurs|les riverains|les associations|les producteurs|les éleveurs|les importateurs|les usagers|"
    "les boulangers|les chauffeurs de taxi|les pharmaciens|les hôteliers|les exportateurs|les retraités|"
    "les diplômés chômeurs|les infirmiers|les promoteurs immobiliers|les oléiculteurs"
)
_FR_GROUP_OF = _split(
    "du secteur|de la région|de la commune|de la province|du quartier|de la filière|de la wilaya|du littoral|"
    "des zones rurales|de l'arrière-pays|de la vieille ville|du centre-ville"
)
_FR_ROLES = _split(
    "directeur général|directrice régionale|président|présidente|porte-parole|secrétaire général|économiste|"
    "chercheur|chercheuse|député|députée|wali|gouverneur|maire|responsable|coordinatrice|expert|experte|"
    "vice-président|conseiller|conseillère|délégué|déléguée|inspecteur|ingénieur|avocate|sociologue"
)
_FR_ROLE_OF = _split(
    "de l'association {city} {assoc}|à l'université de {city}|de la commune de {city}|du syndicat {assoc}|"
    "de la chambre {chamber} de {city}|de l'ordre des {profession}|de l'association des {profession} de {city}|"
    "de l'union des {profession}|du cabinet {last} Conseil|de la majorité|de l'opposition|"
    "de l'observatoire {assoc} des prix|du collectif {assoc}|de l'hôpital de {city}|du centre {last} de recherche"
)
_FR_ASSOC = _split(
    "Solidarité|Avenir|Horizons|Espoir|Initiative|Développement|Citoyenneté|Environnement|Patrimoine|Jeunesse|"
    "Progrès|Dignité|Entraide|Renouveau|Alternatives"
)
_FR_PROFESSIONS = _split(
    "médecins|pharmaciens|avocats|architectes|ingénieurs|agriculteurs|commerçants|transporteurs|boulangers|"
    "enseignants|artisans|pêcheurs|éleveurs|hôteliers|notaires|experts-comptables|infirmiers|taxis"
)
# (singular, plural) verbs taking a direct object.
_FR_VERBS = tuple(
    tuple(v.split("/"))
    for v in _split(
        "a annoncé/ont annoncé|a confirmé/ont confirmé|a présenté/ont présenté|a dévoilé/ont dévoilé|"
        "a souligné/ont souligné|a rappelé/ont rappelé|a démenti/ont démenti|a salué/ont salué|a lancé/ont lancé|"
        "a adopté/ont adopté|a examiné/ont examiné|a critiqué/ont critiqué|a réclamé/ont réclamé|"
        "a dénoncé/ont dénoncé|a validé/ont validé|a approuvé/ont approuvé|a reporté/ont reporté|"
        "a suspendu/ont suspendu|a inauguré/ont inauguré|a signé/ont signé|a entamé/ont entamé|"
        "a finalisé/ont finalisé|a relancé/ont relancé|a évoqué/ont évoqué|a défendu/ont défendu|"
        "a détaillé/ont détaillé|a programmé/ont programmé|a accéléré/ont accéléré|a gelé/ont gelé|"
        "a plaidé pour/ont plaidé pour|a insisté sur/ont insisté sur|a mis en garde contre/ont mis en garde contre|"
        "prévoit/prévoient|envisage/envisagent|annonce/annoncent|étudie/étudient|prépare/préparent|"
        "finance/financent|réclame/réclament|dénonce/dénoncent|attend/attendent|soutient/soutiennent|"
        "conteste/contestent|table sur/tablent sur|compte sur/comptent sur|"
        "a chiffré/ont chiffré|a entériné/ont entériné|a arbitré/ont arbitré|a budgétisé/ont budgétisé"
    )
)
# Actions on a thing: "la réhabilitation" + "du réseau d'assainissement".
_FR_ACTIONS = _split(
    "la réhabilitation|le lancement|la construction|l'extension|la modernisation|le financement|la réforme|"
    "la mise à niveau|l'achèvement|le report|la suspension|la relance|la généralisation|le renforcement|"
    "la numérisation|la réorganisation|l'ouverture|la fermeture|la rénovation|le raccordement|l'équipement|"
    "la sécurisation|le réaménagement|la restructuration|le recensement|l'évaluation|la révision|le gel|"
    "le doublement|la création|le transfert|l'audit|la livraison|le recrutement|la gestion|la privatisation|"
    "l'entretien|la dotation|l'inventaire|la mise en service"
)
_FR_THINGS = _split(
    "du réseau d'assainissement|des marchés de gros|de la route nationale {num}|du port de pêche|"
    "des centres de santé|de l'hôpital régional|des écoles primaires|du parc automobile|de la gare routière|"
    "des logements sociaux|du réseau électrique|de la station de dessalement|des abattoirs|du barrage de {city}|"
    "des zones industrielles|de la ligne ferroviaire|du stade municipal|des lycées techniques|"
    "de la décharge publique|du centre d'enfouissement|des pistes rurales|de l'aéroport de {city}|"
    "du marché hebdomadaire|des forages|de la corniche|du tramway|de la piscine olympique|des foyers ruraux|"
    "du registre du commerce|des services d'état civil|de la plateforme logistique|du complexe sportif|"
    "des maisons de jeunes|du réseau de gaz naturel|des bureaux de poste|de la médina|des crèches communales|"
    "de la bibliothèque municipale|des cliniques privées|du réseau routier|de la zone franche|"
    "des silos à céréales|du musée régional|des unités de production|de la station d'épuration|"
    "des bus scolaires|du système d'information|des guichets uniques|des centres de formation|"
    "de la flotte de pêche|des quais du port|des cantines scolaires|du théâtre municipal|des souks ruraux|"
    "de l'hôtellerie de montagne|du cadastre|des périmètres irrigués|de la maternité de {city}|"
    "du laboratoire d'analyses|des ponts de la province|de la digue|du bassin de rétention|des oliveraies"
)
_FR_ADJUNCTS = _split(
    "à {city}|dans la région de {city}|d'ici {year}|avant {month} {year}|pour un coût de {money}|"
    "au profit de {num} familles|dans {num} communes|sur {num} kilomètres|dès {month}|"
    "avec l'appui de {partner}|au titre de {year}|entre {city} et {city2}|après {num} mois de retard|"
    "pour la saison {year}|sur {num} hectares|dans les quartiers {side} de {city}|avec {money}|en {month} prochain"
)
_FR_PARTNERS = _split(
    "la Banque mondiale|l'Union européenne|la BAD|l'AFD|la coopération japonaise|la Banque islamique|"
    "un fonds émirati|la GIZ|la BEI|un consortium chinois|la coopération espagnole|un partenaire saoudien"
)
_FR_SIDES = _split("périphériques|nord|sud|est|ouest|populaires|anciens|nouveaux|côtiers|enclavés")
_FR_WHEN = _split(
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|ce lundi|ce mardi|ce mercredi|ce jeudi|"
    "ce vendredi|la semaine dernière|jeudi dernier|en fin de semaine|hier soir|dans la matinée de mardi|"
    "le {day} {month}|début {month}|à la mi-{month}"
)
# Where it was said: "lors d'une réunion tenue mardi à Sétif".
_FR_EVENTS_F = _split(
    "réunion|conférence de presse|séance de travail|visite d'inspection|rencontre|journée d'étude|"
    "session extraordinaire|assemblée générale|table ronde|cérémonie|audience|tournée|session plénière"
)
_FR_EVENTS_M = _split(
    "forum|conseil|séminaire|point de presse|atelier|colloque|salon|comité|déplacement|entretien|débat"
)
_FR_EVENT_PREPS = (
    ("lors d'une", "lors d'un"),
    ("au cours d'une", "au cours d'un"),
    ("à l'issue d'une", "à l'issue d'un"),
    ("en marge d'une", "en marge d'un"),
    ("durant une", "durant un"),
)
_FR_EVENT_TAILS = _split(
    "tenue {when} à {city}|{when} à {city}|organisée {when}|présidée par {person}|à {city}|au siège {domain}|"
    "avec les élus de {city}|{when}"
)
_FR_SAID_IN = _split(
    "dans un communiqué {when}|selon {body} {domain}|d'après {body} {domain}|selon des chiffres publiés {when}|"
    "sur les ondes de {radio}|dans une déclaration à {paper}|selon nos informations|selon {person}"
)
_FR_RADIOS = _split(
    "Radio Mars|Hit Radio|Chada FM|Medi 1|Radio M|Mosaïque FM|Jawhara FM|Shems FM|Radio Dzair|Atlantic Radio"
)
_FR_PAPERS = _split(
    "l'agence officielle|notre rédaction|la presse locale|la télévision publique|un site d'information|nos confrères"
)
_FR_QUOTES = _split(
    "Nous allons {inf} {action} {thing} {adjunct}|Il faut {inf} {action} {thing} {adjunct}|"
    "{action_cap} {thing} reste {priority}|Personne ne peut ignorer {action} {thing}|"
    "{group} attendent {action} {thing} depuis {num} ans|Nous demandons {action} {thing} {adjunct}|"
    "{action_cap} {thing} changera {change}|Sans {action} {thing}, {city} {fate}"
)
_FR_FATES = _split(
    "restera à la traîne|prendra du retard|n'avancera pas|perdra ses investisseurs|ne décollera pas|"
    "manquera le rendez-vous|paiera le prix fort"
)
_FR_PRIORITIES = _split(
    "notre priorité|la priorité du moment|une urgence|un chantier prioritaire|notre engagement|une nécessité"
)
_FR_CHANGES = _split("la vie des habitants|le quotidien des usagers|la donne|beaucoup de choses|le visage de {city}")
_FR_INFINITIVES = _split(
    "accélérer|financer|lancer|achever|revoir|soutenir|généraliser|relancer|sécuriser|évaluer|programmer|"
    "réussir|encadrer|suivre de près"
)
_FR_MONTHS = _split("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre")
_FR_QUESTIONS = _split(
    "Mais qu'en est-il {thing} ?|Qui paiera la facture {thing} ?|Combien de temps faudra-t-il attendre ?|"
    "Et après ?|Le calendrier sera-t-il tenu ?"
)
_FR_SUBHEADINGS = _split(
    "Un calendrier serré|Les chiffres clés|Réactions contrastées|Un précédent en {year}|Le coût {thing}|"
    "Retour sur {action} {thing}|À {city}, l'attente|Les élus de {city} divisés|Une enveloppe de {money}|"
    "{group} inquiets|Le cas de {city}|{action_cap} {thing}|Et à {city} ?|Ce que dit {person}"
)
_FR_TOPICS = _split(
    "Eau potable|Tourisme|Enseignement|Santé|Énergie|Agriculture|Transport|Football|Diplomatie|Culture|Emploi|"
    "Immobilier|Numérique|Sécurité routière|Pêche|Artisanat|Environnement|Logement|Commerce|Justice|Industrie|"
    "Formation|Patrimoine|Sécheresse|Inflation|Ramadan|Rentrée scolaire|Investissement|Port|Aéroport"
)
# Title claims (words of bank.TITLE_SYNONYMS appear: the rewrites swap them).
_FR_CLAIMS = _split(
    "un nouveau plan pour {num} communes|les prix repartent à la hausse à {city}|"
    "le gouvernement annonce des mesures pour {thing_short}|les professionnels tirent la sonnette d'alarme|"
    "un accord signé à {city} pour {thing_short}|{num} millions de {cur} débloqués pour {thing_short}|"
    "la réforme {domain} adoptée en conseil|les chiffres du premier trimestre {year}|un bilan mitigé pour {year}|"
    "le projet {thing} prend du retard|une première dans la région de {city}|"
    "l'opposition dénonce un « passage en force »|{group} en colère à {city}|{action_cap} {thing} annoncée|"
    "vers {action} {thing}|{person} nommé à la tête {thing}|{num} emplois à la clé à {city}|"
    "le chantier {thing} relancé|hausse de {pct} % en {year}|{group} réclament {action} {thing}"
)


def _fill_fr(rng: random.Random, template: str, site: str) -> str:
    """Fill the ``{slots}`` of *template*, drawing only those it uses."""
    if "{" not in template:
        return template
    values: dict[str, str] = {}
    for key in _slots(template):
        values[key] = _fr_slot(rng, key, site)
    return template.format(**values)


def _slots(template: str) -> list[str]:
    out, i = [], template.find("{")
    while i >= 0:
        j = template.index("}", i)
        out.append(template[i + 1 : j])
        i = template.find("{", j)
    return list(dict.fromkeys(out))


def _fr_slot(rng: random.Random, key: str, site: str) -> str:
    if key == "city":
        return place(rng, site)
    if key == "city2":
        return rng.choice(bank.CITIES[site])
    if key in ("num", "n"):
        return _n(rng)
    if key == "money":
        return f"{_n(rng)} millions de {bank.CURRENCY[site]}"
    if key == "cur":
        return bank.CURRENCY[site]
    if key in ("year", "year2"):
        return str(rng.randint(2019, 2026))
    if key == "month":
        return rng.choice(_FR_MONTHS)
    if key == "day":
        return str(rng.randint(2, 28))
    if key == "pct":
        return _pct(rng)
    if key == "when":
        return _fill_fr(rng, rng.choice(_FR_WHEN), site)
    if key == "domain":
        return rng.choice(_FR_DOMAINS)
    if key == "thing":
        return _fill_fr(rng, rng.choice(_FR_THINGS), site)
    if key == "thing_short":
        return _fill_fr(rng, rng.choice(_FR_THINGS), site).split(" ", 1)[1]
    if key == "action":
        return rng.choice(_FR_ACTIONS)
    if key == "action_cap":
        a = rng.choice(_FR_ACTIONS)
        return a[0].upper() + a[1:]
    if key == "adjunct":
        return _fill_fr(rng, rng.choice(_FR_ADJUNCTS), site)
    if key == "inf":
        return rng.choice(_FR_INFINITIVES)
    if key == "group":
        g = rng.choice(_FR_GROUPS)
        return g[0].upper() + g[1:]
    if key == "person":
        return person(rng)
    if key == "last":
        return rng.choice(LAST_NAMES)
    if key == "chamber":
        return rng.choice(("de commerce", "d'agriculture", "d'artisanat", "des pêches maritimes", "d'industrie"))
    if key == "fate":
        return rng.choice(_FR_FATES)
    if key == "priority":
        return rng.choice(_FR_PRIORITIES)
    if key == "change":
        return _fill_fr(rng, rng.choice(_FR_CHANGES), site)
    if key == "assoc":
        return rng.choice(_FR_ASSOC)
    if key == "profession":
        return rng.choice(_FR_PROFESSIONS)
    if key == "partner":
        return rng.choice(_FR_PARTNERS)
    if key == "side":
        return rng.choice(_FR_SIDES)
    if key == "body":
        return rng.choice(_FR_BODIES)
    if key == "radio":
        return rng.choice(_FR_RADIOS)
    if key == "paper":
        return rng.choice(_FR_PAPERS)
    raise KeyError(key)


def _fr_subject(rng: random.Random, site: str) -> tuple[str, bool]:
    """A subject and whether it is plural."""
    r = rng.random()
    if r < 0.45:
        return f"{rng.choice(_FR_BODIES)} {rng.choice(_FR_DOMAINS)}", False
    if r < 0.75:
        return f"{rng.choice(_FR_GROUPS)} {rng.choice(_FR_GROUP_OF)}", True
    return f"{person(rng)}, {rng.choice(_FR_ROLES)} {_fill_fr(rng, rng.choice(_FR_ROLE_OF), site)},", False


def _fr_setting(rng: random.Random, site: str) -> str:
    """Where or how it was said: an event ("lors d'une réunion tenue mardi à Sétif") or a source."""
    if rng.random() < 0.45:
        return _fill_fr(rng, rng.choice(_FR_SAID_IN), site)
    fem = rng.random() < 0.55
    prep = rng.choice(_FR_EVENT_PREPS)[0 if fem else 1]
    event = rng.choice(_FR_EVENTS_F if fem else _FR_EVENTS_M)
    tail = rng.choice(_FR_EVENT_TAILS)
    if not fem:
        tail = tail.replace("tenue", "tenu").replace("organisée", "organisé").replace("présidée", "présidé")
    return f"{prep} {event} {_fill_fr(rng, tail, site)}"


def _fr_object(rng: random.Random, site: str) -> str:
    obj = f"{rng.choice(_FR_ACTIONS)} {_fill_fr(rng, rng.choice(_FR_THINGS), site)}"
    if rng.random() < 0.4:
        obj += " " + _fill_fr(rng, rng.choice(_FR_ADJUNCTS), site)
    return obj


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fr_clause(rng: random.Random, site: str) -> str:
    subj, plural = _fr_subject(rng, site)
    verb = rng.choice(_FR_VERBS)[plural]
    return f"{subj} {verb} {_fr_object(rng, site)}"


_FR_OPENERS = _split(
    "Autre fait marquant :|À noter :|Par ailleurs,|De son côté,|Dans le même temps,|En attendant,|"
    "Selon nos informations,|Côté chiffres,|Sur le terrain,|Pour l'heure,|Dans la foulée,|En parallèle,|"
    "Le constat est sans appel :|Fait notable,|Au même moment,"
)
_FR_PRESS = _split("Le quotidien|L'hebdomadaire|Le journal|Le site|Le confrère")
_FR_PRESS_LANG = _split("arabophone|en langue arabe|d'expression arabe")
_FR_REPORTS = _split("rapporte que|affirme que|écrit que|révèle que|indique que|assure que")
_FR_UNITS = _split(
    "personnes|véhicules|tonnes de marchandises|logements|familles|élèves|candidats|exploitations|commerces|"
    "têtes de bétail|arbres|colis|dossiers|plaintes|infractions"
)
_FR_COUNTED = _split(
    "ont été recensés|ont été saisis|ont été livrés|ont été évacués|ont été contrôlés|ont été relogés|"
    "ont été traités|ont été enregistrés|ont été verbalisés|ont été indemnisés|sont concernés|restent en attente"
)
_FR_SHARES = _split("les ressources|l'eau|les budgets|les terres|les quotas|les postes|les subventions")


def make_sentence(rng: random.Random, site: str) -> str:
    """One French sentence; French typography spaces ``: ; ? !`` and « »."""
    k = rng.random()
    if k < 0.40:
        return _cap(f"{_fr_clause(rng, site)} {_fr_setting(rng, site)}.")
    if k < 0.54:
        quote = _fill_fr(rng, rng.choice(_FR_QUOTES), site)
        role = f"{rng.choice(_FR_ROLES)} {_fill_fr(rng, rng.choice(_FR_ROLE_OF), site)}"
        return f"«{_cap(quote)}», a déclaré {person(rng)}, {role}."
    if k < 0.62:
        return f"{rng.choice(_FR_OPENERS)} {_fr_clause(rng, site)}."
    if k < 0.69:
        return _cap(f"{_fr_clause(rng, site)} ; {_fr_clause(rng, site)}.")
    if k < 0.73:
        return _fill_fr(rng, rng.choice(_FR_QUESTIONS), site)
    if k < 0.79:
        latin, arabic = rng.choice(ARABIC_PAPERS)
        press = f"{rng.choice(_FR_PRESS)} {rng.choice(_FR_PRESS_LANG)} {latin} ({arabic}) {rng.choice(_FR_REPORTS)}"
        return f"{press} {_fr_clause(rng, site)}."
    if k < 0.86:
        return (
            f"{_cap(_n(rng))} {rng.choice(_FR_UNITS)} {rng.choice(_FR_COUNTED)} {_fill_fr(rng, rng.choice(_FR_WHEN), site)}"
            f" à {place(rng, site)}, a précisé {person(rng)}, {rng.choice(_FR_ROLES)}."
        )
    if k < 0.88:
        return (
            f"« {rng.choice(ARABIC_SLOGANS)} », scandaient {rng.choice(_FR_GROUPS)} {rng.choice(_FR_GROUP_OF)} "
            f"devant le siège {rng.choice(_FR_DOMAINS)} à {place(rng, site)}."
        )
    if k < 0.93:
        what = rng.choice(("entreprises", "millions d’habitants", "% de chômeurs", "exploitations agricoles", "élèves"))
        return (
            f"En {rng.randint(2015, 2024)}, {bank.COUNTRY[site]} comptait {_n(rng)} {what} à {place(rng, site)}, "
            f"selon {rng.choice(_FR_BODIES)} {rng.choice(_FR_DOMAINS)}."
        )
    if k < 0.995:
        subj, _ = _fr_subject(rng, site)
        what = f"{rng.choice(_FR_ACTIONS)} {_fill_fr(rng, rng.choice(_FR_THINGS), site)}"
        return _cap(f"{subj} {rng.choice(('a', 'avait'))} chiffré {what} à {_fill_fr(rng, '{money}', site)}.")
    return (
        f"Partager {rng.choice(_FR_SHARES)} entre {place(rng, site)} et {place(rng, site)} reste un défi pour "
        f"{rng.choice(_FR_GROUPS)} {rng.choice(_FR_GROUP_OF)}."
    )


def make_title(rng: random.Random, site: str) -> str:
    """A headline: ``Topic : claim``, ``City : claim`` or ``« quote », estime X``."""
    kind = rng.random()
    if kind < 0.45:
        head = rng.choice(_FR_TOPICS)
    elif kind < 0.8:
        head = place(rng, site)
    else:
        quote = _fill_fr(rng, rng.choice(_FR_QUOTES), site)
        return f"« {_cap(quote)} », estime {person(rng)}"
    return f"{head} : {_fill_fr(rng, rng.choice(_FR_CLAIMS), site)}"


def make_body(rng: random.Random, site: str) -> list[list[str]]:
    """Paragraphs as lists of sentences; a one-item list without final period is a subheading."""
    return _body(rng, lambda: make_sentence(rng, site), lambda: _fill_fr(rng, rng.choice(_FR_SUBHEADINGS), site))


def _body(rng: random.Random, sentence, subheading) -> list[list[str]]:
    paras = []
    for _ in range(rng.randint(4, 7)):
        sentences: list[str] = []
        for _ in range(rng.randint(1, 3)):
            s = sentence()
            if s not in sentences:  # no stutter inside a paragraph
                sentences.append(s)
        paras.append(sentences)
    if len(paras) > 2 and rng.random() < 0.35:
        paras.insert(rng.randint(2, len(paras) - 1), [subheading()])
    return paras


# --- English and Spanish (the English and Spanish editions some sources carry) -----

_EN = {
    "bodies": _split(
        "the Ministry of Health|the Ministry of Agriculture|the Ministry of Tourism|the Ministry of Education|"
        "the Ministry of Finance|the Ministry of Energy|the Ministry of Transport|the Ministry of Water|"
        "the central bank|the High Commission for Planning|the national water office|the regional council of {city}|"
        "the national railway company|the port authority of {city}|the competition council|the energy regulator|"
        "the tourism board|the chamber of commerce of {city}|the statistics office|the investment agency"
    ),
    "groups": _split(
        "farmers|teachers|doctors|taxi drivers|residents|students|fishermen|shopkeepers|investors|unions|"
        "exporters|bakers|nurses|pensioners|young graduates|small business owners|hotel owners|truck drivers"
    ),
    "group_of": _split("in {city}|across the region|in rural areas|on the coast|in the old town|in the south"),
    "verbs": tuple(
        tuple(v.split("/"))
        for v in _split(
            "announced/announced|confirmed/confirmed|unveiled/unveiled|approved/approved|postponed/postponed|"
            "criticised/criticised|welcomed/welcomed|launched/launched|is preparing/are preparing|"
            "is studying/are studying|demands/demand|opposes/oppose|funds/fund|has suspended/have suspended|"
            "is calling for/are calling for|has signed/have signed|defended/defended|questioned/questioned"
        )
    ),
    "actions": _split(
        "the renovation of|the construction of|the extension of|the funding of|the reform of|the closure of|"
        "the opening of|the upgrade of|a review of|the privatisation of|an audit of|the relaunch of|"
        "the digitisation of|the expansion of|the repair of|a freeze on"
    ),
    "things": _split(
        "the sewage network|the wholesale markets|national road {num}|the fishing port|rural health centres|"
        "the regional hospital|primary schools|the bus station|social housing|the power grid|"
        "the desalination plant|the {city} dam|industrial zones|the railway line|the municipal stadium|"
        "technical high schools|the landfill|rural roads|the {city} airport|the weekly market|the tramway|"
        "the gas network|post offices|the medina|public libraries|the free zone|grain silos|the regional museum|"
        "school buses|vocational training centres|the fishing fleet|the old port|irrigated farmland|the olive groves"
    ),
    "adjuncts": _split(
        "in {city}|by {year}|before the end of the year|at a cost of {money}|for {num} families|"
        "in {num} municipalities|over {num} kilometres|starting in {month}|with World Bank support|"
        "between {city} and {city2}|after {num} months of delay|on {num} hectares"
    ),
    "settings": _split(
        "at a meeting in {city} on {weekday}|in a statement released on {weekday}|during a visit to {city}|"
        "before a parliamentary committee|at a press conference in {city}|according to figures published on {weekday}|"
        "in an interview with a private radio station|at a regional forum in {city}|in a report seen by our newsroom"
    ),
    "quotes": _split(
        "We will {inf} {action} {thing} {adjunct}|We cannot wait any longer for {action} {thing}|"
        "{action_cap} {thing} remains our priority|The money set aside for {action} {thing} is not enough"
    ),
    "inf": _split("speed up|fund|complete|review|support|secure|launch|monitor"),
    "roles": _split(
        "director|spokesperson|economist|researcher|member of parliament|governor|mayor|union leader|"
        "association president|engineer|lawyer|sociologist"
    ),
    "topics": _split(
        "Water|Tourism|Education|Health|Energy|Agriculture|Transport|Football|Diplomacy|Culture|Jobs|Housing|"
        "Migration|Trade|Drought|Inflation"
    ),
    "claims": _split(
        "new plan for {num} municipalities|prices rise again in {city}|government announces measures on {thing}|"
        "{groups} sound the alarm|deal signed in {city} on {thing}|{num} million {cur} for {thing}|"
        "delays hit {thing}|a first for {city}|{groups} protest in {city}|{action_cap} {thing} announced"
    ),
    "subheadings": _split(
        "A tight schedule|Key figures|Mixed reactions|What changes for users|Not enough money|A regional issue|"
        "The cost of {thing}|In {city}, waiting|What the text provides"
    ),
    "months": _split("January|February|March|April|May|June|July|August|September|October|November|December"),
    "weekdays": _split("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"),
    "money": "{num} million {cur}",
    "said": "said",
    "country": {"maghress": "Morocco", "djazairess": "Algeria", "turess": "Tunisia"},
}
_ES = {
    "bodies": _split(
        "el Ministerio de Sanidad|el Ministerio de Agricultura|el Ministerio de Turismo|el Ministerio de Educación|"
        "el Ministerio de Finanzas|el Ministerio de Energía|el Ministerio de Transportes|el banco central|"
        "el Alto Comisionado para el Plan|la oficina nacional del agua|el consejo regional de {city}|"
        "la compañía nacional de ferrocarriles|la autoridad portuaria de {city}|el consejo de la competencia|"
        "la oficina de turismo|la cámara de comercio de {city}|el instituto de estadística|la agencia de inversiones"
    ),
    "groups": _split(
        "los agricultores|los profesores|los médicos|los taxistas|los vecinos|los estudiantes|los pescadores|"
        "los comerciantes|los inversores|los sindicatos|los exportadores|los panaderos|los enfermeros|"
        "los jubilados|los jóvenes titulados|los hoteleros|los camioneros"
    ),
    "group_of": _split("de {city}|de la región|de las zonas rurales|del litoral|de la medina|del sur"),
    "verbs": tuple(
        tuple(v.split("/"))
        for v in _split(
            "anunció/anunciaron|confirmó/confirmaron|presentó/presentaron|aprobó/aprobaron|aplazó/aplazaron|"
            "criticó/criticaron|celebró/celebraron|lanzó/lanzaron|prepara/preparan|estudia/estudian|"
            "reclama/reclaman|rechaza/rechazan|financia/financian|suspendió/suspendieron|pide/piden|"
            "firmó/firmaron|defendió/defendieron|cuestionó/cuestionaron"
        )
    ),
    "actions": _split(
        "la renovación de|la construcción de|la ampliación de|la financiación de|la reforma de|el cierre de|"
        "la apertura de|la modernización de|una revisión de|la privatización de|una auditoría de|"
        "la reactivación de|la digitalización de|la reparación de|la congelación de"
    ),
    "things": _split(
        "la red de saneamiento|los mercados mayoristas|la carretera nacional {num}|el puerto pesquero|"
        "los centros de salud rurales|el hospital regional|las escuelas primarias|la estación de autobuses|"
        "las viviendas sociales|la red eléctrica|la desaladora|la presa de {city}|las zonas industriales|"
        "la línea ferroviaria|el estadio municipal|los institutos técnicos|el vertedero|los caminos rurales|"
        "el aeropuerto de {city}|el mercado semanal|el tranvía|la red de gas|las oficinas de correos|la medina|"
        "las bibliotecas públicas|la zona franca|los silos de cereales|el museo regional|los autobuses escolares|"
        "la flota pesquera|el puerto viejo|los regadíos|los olivares"
    ),
    "adjuncts": _split(
        "en {city}|antes de {year}|antes de fin de año|con un coste de {money}|para {num} familias|"
        "en {num} municipios|a lo largo de {num} kilómetros|a partir de {month}|con apoyo del Banco Mundial|"
        "entre {city} y {city2}|tras {num} meses de retraso|en {num} hectáreas"
    ),
    "settings": _split(
        "en una reunión celebrada el {weekday} en {city}|en un comunicado difundido el {weekday}|"
        "durante una visita a {city}|ante una comisión parlamentaria|en una rueda de prensa en {city}|"
        "según cifras publicadas el {weekday}|en una entrevista con una radio privada|en un foro regional en {city}|"
        "en un informe al que tuvo acceso esta redacción"
    ),
    "quotes": _split(
        "Vamos a {inf} {action} {thing} {adjunct}|No podemos esperar más para {action} {thing}|"
        "{action_cap} {thing} sigue siendo nuestra prioridad|El dinero previsto para {action} {thing} no basta"
    ),
    "inf": _split("acelerar|financiar|terminar|revisar|apoyar|asegurar|lanzar|vigilar"),
    "roles": _split(
        "director|portavoz|economista|investigadora|diputado|gobernador|alcalde|sindicalista|"
        "presidenta de la asociación|ingeniero|abogada|socióloga"
    ),
    "topics": _split(
        "Agua|Turismo|Educación|Sanidad|Energía|Agricultura|Transporte|Fútbol|Diplomacia|Cultura|Empleo|"
        "Vivienda|Migración|Comercio|Sequía|Inflación"
    ),
    "claims": _split(
        "nuevo plan para {num} municipios|los precios vuelven a subir en {city}|el Gobierno anuncia medidas sobre {thing}|"
        "{groups} dan la voz de alarma|acuerdo firmado en {city} sobre {thing}|{num} millones de {cur} para {thing}|"
        "retrasos en {thing}|una primicia en {city}|{groups} protestan en {city}|{action_cap} {thing}, anunciada"
    ),
    "subheadings": _split(
        "Un calendario ajustado|Las cifras clave|Reacciones dispares|Qué cambia para los usuarios|Falta dinero|"
        "Un reto regional|El coste de {thing}|En {city}, la espera|Lo que prevé el texto"
    ),
    "months": _split("enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"),
    "weekdays": _split("lunes|martes|miércoles|jueves|viernes|sábado|domingo"),
    "money": "{num} millones de {cur}",
    "said": "declaró",
    "country": {"maghress": "Marruecos", "djazairess": "Argelia", "turess": "Túnez"},
}
_OTHER = {"en": _EN, "es": _ES}
_EN_CURRENCY = {"maghress": "dirhams", "djazairess": "dinars", "turess": "dinars"}


def _fill_other(lang: dict, rng: random.Random, template: str, site: str) -> str:
    values: dict[str, str] = {}
    for key in _slots(template):
        if key in ("city", "city2"):
            v = place(rng, site)
        elif key == "num":
            v = _n(rng)
        elif key == "money":
            v = _fill_other(lang, rng, lang["money"], site)
        elif key == "cur":
            v = _EN_CURRENCY[site]
        elif key == "year":
            v = str(rng.randint(2019, 2026))
        elif key == "month":
            v = rng.choice(lang["months"])
        elif key == "weekday":
            v = rng.choice(lang["weekdays"])
        elif key == "thing":
            v = _fill_other(lang, rng, rng.choice(lang["things"]), site)
        elif key == "action":
            v = rng.choice(lang["actions"])
        elif key == "action_cap":
            v = _cap(rng.choice(lang["actions"]))
        elif key == "adjunct":
            v = _fill_other(lang, rng, rng.choice(lang["adjuncts"]), site)
        elif key == "inf":
            v = rng.choice(lang["inf"])
        elif key == "groups":
            v = _cap(rng.choice(lang["groups"]))
        else:
            raise KeyError(key)
        values[key] = v
    return template.format(**values) if values else template


def _other_clause(lang: dict, rng: random.Random, site: str) -> str:
    fill = _fill_other
    if rng.random() < 0.55:
        subj, plural = fill(lang, rng, rng.choice(lang["bodies"]), site), False
    else:
        subj, plural = f"{rng.choice(lang['groups'])} {fill(lang, rng, rng.choice(lang['group_of']), site)}", True
    verb = rng.choice(lang["verbs"])[plural]
    obj = f"{rng.choice(lang['actions'])} {fill(lang, rng, rng.choice(lang['things']), site)}"
    if rng.random() < 0.6:
        obj += " " + fill(lang, rng, rng.choice(lang["adjuncts"]), site)
    return f"{subj} {verb} {obj}"


def _other_sentence(lang: dict, rng: random.Random, site: str) -> str:
    return _contract(lang, _other_sentence_raw(lang, rng, site))


def _contract(lang: dict, text: str) -> str:
    """Spanish contracts "de el" and "a el" (``del``, ``al``)."""
    if lang is _ES:
        text = text.replace(" de el ", " del ").replace(" a el ", " al ")
    return text


def _other_sentence_raw(lang: dict, rng: random.Random, site: str) -> str:
    k = rng.random()
    if k < 0.55:
        return _cap(f"{_other_clause(lang, rng, site)} {_fill_other(lang, rng, rng.choice(lang['settings']), site)}.")
    if k < 0.75:
        quote = _cap(_fill_other(lang, rng, rng.choice(lang["quotes"]), site))
        return f'"{quote}," {lang["said"]} {person(rng)}, {rng.choice(lang["roles"])}.'
    if k < 0.9:
        return _cap(f"{_other_clause(lang, rng, site)}; {_other_clause(lang, rng, site)}.")
    return _cap(f"{_other_clause(lang, rng, site)}.")


def make_title_in(lang_code: str, rng: random.Random, site: str) -> str:
    """A headline in *lang_code* (``en`` or ``es``)."""
    lang = _OTHER[lang_code]
    head = rng.choice(lang["topics"]) if rng.random() < 0.5 else place(rng, site)
    return _contract(lang, f"{head}: {_fill_other(lang, rng, rng.choice(lang['claims']), site)}")


def make_body_in(lang_code: str, rng: random.Random, site: str) -> list[list[str]]:
    """Paragraphs in *lang_code* (``en`` or ``es``), as :func:`make_body`."""
    lang = _OTHER[lang_code]
    return _body(
        rng,
        lambda: _other_sentence(lang, rng, site),
        lambda: _contract(lang, _fill_other(lang, rng, rng.choice(lang["subheadings"]), site)),
    )
