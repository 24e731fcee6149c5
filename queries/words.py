"""The words of kringloop's explanations in Dutch, French and English: loop statuses, roles,
the reasons and changes of the loop verdict, score components, hard filters, processes.

The verdict carries reasons as a code with parameters (`kringloop.queries.loop.verdict`) so
that each language can say them; this module says them. Parameters that name something are
given in the reader's language by the caller (`localise`: labels of IRIs, roles, units,
numbers and dates), then the sentence of the code in that language is filled in.

Pure: no store access and no web framework; the pages (`kringloop.service.i18n`) and the
graph pages (`kringloop.queries.visual_chains`) use it alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from kringloop.queries.visual.model import WORDS as GRAPH_WORDS

#: The page languages; the first is the default (the network is Flemish).
LANGUAGES = ("nl", "fr", "en")
DEFAULT = "nl"
#: Index of each language in the (en, nl, fr) tuples of the catalogues.
_COLUMN = {"en": 0, "nl": 1, "fr": 2}

Forms = tuple[str, str, str]  # en, nl, fr

#: The words of the verdict and the matchmaking, in en / nl / fr.
WORDS: dict[str, Forms] = {
    **GRAPH_WORDS,
    # statuses of a loop
    "status.closed": ("closed", "gesloten", "fermée"),
    "status.promised": ("promised", "beloofd", "promise"),
    "status.open": ("open", "open", "ouverte"),
    "status.closed.long": (
        "the loop closes",
        "de kringloop sluit",
        "la boucle se ferme",
    ),
    "status.promised.long": (
        "take-back promised, not backed by the graph",
        "terugname beloofd, niet gestaafd in de graaf",
        "reprise promise, non étayée par le graphe",
    ),
    "status.open.long": (
        "the loop does not close",
        "de kringloop sluit niet",
        "la boucle ne se ferme pas",
    ),
    # roles in a chain (the graph pages' words cover the rest)
    "role.partner": ("partner", "partner", "partenaire"),
    # units
    "unit.pieces": ("pieces", "stuks", "pièces"),
    "unit.piece": ("piece", "stuk", "pièce"),
    "unit.kg": ("kg", "kg", "kg"),
    "none-known": ("none known", "geen gekend", "aucun connu"),
    # score components
    "component.product_fit": ("product fit", "productovereenkomst", "adéquation du produit"),
    "component.circularity": ("circularity", "circulariteit", "circularité"),
    "component.distance": ("distance", "afstand", "distance"),
    "component.quantity": ("quantity", "hoeveelheid", "quantité"),
    "component.timing": ("timing", "timing", "calendrier"),
    "component.certification": ("certification", "certificering", "certification"),
    "component.tco": (
        "total cost of ownership",
        "totale eigendomskost",
        "coût total de possession",
    ),
    "component.impact": ("impact", "impact", "impact"),
    "component.confidence": ("confidence", "betrouwbaarheid", "fiabilité"),
    # product fit through the CPV tree
    "fit.exact": ("exact product type", "exact producttype", "type de produit exact"),
    "fit.same-code": ("same CPV code", "zelfde CPV-code", "même code CPV"),
    "fit.narrower": (
        "narrower CPV code ({hops} level(s))",
        "specifiekere CPV-code ({hops} niveau('s))",
        "code CPV plus précis ({hops} niveau(x))",
    ),
    "fit.broader": (
        "broader CPV code ({hops} level(s))",
        "ruimere CPV-code ({hops} niveau('s))",
        "code CPV plus large ({hops} niveau(x))",
    ),
    # hard filters, as the funnel names them
    "filter.distance": ("distance", "afstand", "distance"),
    "filter.delivery area": ("delivery area", "leveringsgebied", "zone de livraison"),
    "filter.business model": ("business model", "bedrijfsmodel", "modèle d'affaires"),
    "filter.time window": ("time window", "geldigheidsperiode", "période de validité"),
    "filter.availability": ("availability", "beschikbaarheid", "disponibilité"),
    "filter.minimum order": ("minimum order", "minimale bestelling", "commande minimale"),
    "filter.certification": ("certification", "certificering", "certification"),
    "filter.strategy": ("strategy", "strategie", "stratégie"),
    "filter.circularity": (
        "circularity (R-rank)",
        "circulariteit (R-trede)",
        "circularité (rang R)",
    ),
    "filter.quantity": ("quantity", "hoeveelheid", "quantité"),
    "filter.open loop": ("open loop", "open kringloop", "boucle ouverte"),
    # what a process does
    "process.TakeBack": ("take-back", "terugname", "reprise"),
    "process.Collection": ("collection", "inzameling", "collecte"),
    "process.Repair": ("repair", "herstelling", "réparation"),
    "process.Refurbishment": ("refurbishment", "opknapbeurt", "reconditionnement"),
    "process.Remanufacturing": ("remanufacturing", "herfabricage", "refabrication"),
    "process.Recycling": ("recycling", "recyclage", "recyclage"),
    "process.Composting": ("composting", "compostering", "compostage"),
    "process.AnaerobicDigestion": (
        "anaerobic digestion",
        "anaerobe vergisting",
        "digestion anaérobie",
    ),
    "process.Cascading": ("cascading", "cascadering", "valorisation en cascade"),
    # why nothing matched (the funnel of `kringloop.queries.matchmaker.Funnel`)
    "funnel.none": (
        "no offer of {product} (or related CPV codes) anywhere in the graph",
        "geen aanbod van {product} (of verwante CPV-codes) in de hele graaf",
        "aucune offre de {product} (ou de codes CPV voisins) dans tout le graphe",
    ),
    "funnel.offers.one": (
        "1 offer of {product} (or related CPV codes) in the graph",
        "1 aanbieding van {product} (of verwante CPV-codes) in de graaf",
        "1 offre de {product} (ou de codes CPV voisins) dans le graphe",
    ),
    "funnel.offers.other": (
        "{n} offers of {product} (or related CPV codes) in the graph",
        "{n} aanbiedingen van {product} (of verwante CPV-codes) in de graaf",
        "{n} offres de {product} (ou de codes CPV voisins) dans le graphe",
    ),
    "funnel.distance": (
        "{within} within {km} km; {wider} within {wide} km",
        "{within} binnen {km} km; {wider} binnen {wide} km",
        "{within} dans un rayon de {km} km ; {wider} dans un rayon de {wide} km",
    ),
    "funnel.removed": (
        "{n} more removed by the filter: {filter}",
        "nog {n} weggenomen door de filter: {filter}",
        "encore {n} écartée(s) par le filtre : {filter}",
    ),
    # gaps that are not an offer's
    "gaps.need": (
        "no closed loop for {product} within the need's distance",
        "geen gesloten kringloop voor {product} binnen de afstand van de behoefte",
        "aucune boucle fermée pour {product} dans la distance du besoin",
    ),
    "gaps.processor": (
        "{label} has no flow onward: what it takes back goes nowhere the graph knows",
        "{label} heeft geen stroom verder: wat hij terugneemt, gaat nergens heen dat de graaf kent",
        "{label} n'a aucun flux sortant : ce qu'il reprend ne va nulle part que le graphe "
        "connaisse",
    ),
    # a resource labelled only in another language, described in the reader's language
    "thing.flow": (
        "flow of {what} from {source} to {target}",
        "stroom van {what} van {source} naar {target}",
        "flux de {what} de {source} vers {target}",
    ),
    "thing.processing-offer": (
        "take-back offer of {org}",
        "terugnameaanbod van {org}",
        "offre de reprise de {org}",
    ),
    "thing.offer": (
        "offer of {what} by {org} ({model})",
        "aanbod van {what} door {org} ({model})",
        "offre de {what} par {org} ({model})",
    ),
    "thing.need": (
        "need for {what} of {org}",
        "behoefte aan {what} van {org}",
        "besoin de {what} de {org}",
    ),
    "thing.process": ("{what} by {org}", "{what} door {org}", "{what} par {org}"),
    "thing.claim": ("claim: {scheme}", "claim: {scheme}", "allégation : {scheme}"),
    "months": (
        "January February March April May June July August September October November December",
        "januari februari maart april mei juni juli augustus september oktober november december",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    ),
}

#: The sentence of each reason code (``{name}``: its parameters, already in the language).
REASONS: dict[str, Forms] = {
    "promised-flag": (
        "the offer promises to take the product back, but no processor, process or flow in "
        "the graph backs that promise",
        "het aanbod belooft het product terug te nemen, maar geen verwerker, proces of stroom "
        "in de graaf staaft die belofte",
        "l'offre promet de reprendre le produit, mais aucun transformateur, processus ou flux "
        "du graphe n'étaye cette promesse",
    ),
    "no-processor-in-reach": (
        "no processor that closes the loop serves the place of use within {within_km} km; "
        "the nearest is {label} ({role}) at {km} km",
        "geen verwerker die de kringloop sluit, bedient de plaats van gebruik binnen "
        "{within_km} km; de dichtstbijzijnde is {label} ({role}) op {km} km",
        "aucun transformateur qui ferme la boucle ne dessert le lieu d'utilisation dans un "
        "rayon de {within_km} km ; le plus proche est {label} ({role}) à {km} km",
    ),
    "no-processor-anywhere": (
        "no processor anywhere accepts {product} or one of its materials ({materials})",
        "nergens neemt een verwerker {product} of een van zijn materialen aan ({materials})",
        "aucun transformateur n'accepte {product} ni l'un de ses matériaux ({materials})",
    ),
    "no-way-back": (
        "{label} ({role}) takes {product} back, but no valid flow leads from there to a "
        "producer of it or to the supplier",
        "{label} ({role}) neemt {product} terug, maar geen geldige stroom leidt van daar naar "
        "een producent ervan of naar de leverancier",
        "{label} ({role}) reprend {product}, mais aucun flux valide ne mène de là à un "
        "producteur ou au fournisseur",
    ),
    "no-way-back-anywhere": (
        "processors accept {product}, but from none of them does a valid flow lead back to a "
        "producer of it or to the supplier",
        "verwerkers nemen {product} aan, maar van geen van hen leidt een geldige stroom terug "
        "naar een producent ervan of naar de leverancier",
        "des transformateurs acceptent {product}, mais d'aucun d'eux un flux valide ne ramène "
        "à un producteur ou au fournisseur",
    ),
    "too-long": (
        "the way back through {label} passes {partners} organisations; a loop may have at "
        "most {max_partners}",
        "de weg terug via {label} loopt langs {partners} organisaties; een kringloop telt er "
        "hoogstens {max_partners}",
        "le chemin du retour par {label} passe par {partners} organisations ; une boucle en "
        "compte au plus {max_partners}",
    ),
    "expired": (
        "{label} ({what}) is not valid over the whole period of use ({start} to {end})",
        "{label} ({what}) is niet geldig over de hele gebruiksperiode ({start} tot {end})",
        "{label} ({what}) n'est pas valable sur toute la période d'utilisation (du {start} "
        "au {end})",
    ),
    "capacity": (
        "{label} ({role}) handles {capacity} {unit} a year; the need returns {needed} {unit} "
        "a year",
        "{label} ({role}) verwerkt {capacity} {unit} per jaar; de behoefte brengt {needed} "
        "{unit} per jaar terug",
        "{label} ({role}) traite {capacity} {unit} par an ; le besoin en renvoie {needed} "
        "{unit} par an",
    ),
    "certification-expired": (
        "the claim {label} ({scheme}) ended on {until}",
        "de claim {label} ({scheme}) liep af op {until}",
        "l'allégation {label} ({scheme}) a pris fin le {until}",
    ),
    "delivery-area": (
        "the supplier does not deliver at the place of use",
        "de leverancier levert niet op de plaats van gebruik",
        "le fournisseur ne livre pas au lieu d'utilisation",
    ),
}
#: What is said for a reason code this catalogue does not know.
UNKNOWN_REASON: Forms = (
    "the loop does not close ({code})",
    "de kringloop sluit niet ({code})",
    "la boucle ne se ferme pas ({code})",
)

#: The sentence of each kind of change, and the words of a link that makes it.
CHANGES: dict[str, Forms] = {
    "within_km": (
        "a closed loop exists within {value} km",
        "een gesloten kringloop bestaat binnen {value} km",
        "une boucle fermée existe dans un rayon de {value} km",
    ),
    "period_months": (
        "a closed loop exists for a period of at most {value} months",
        "een gesloten kringloop bestaat voor een periode van hoogstens {value} maanden",
        "une boucle fermée existe pour une période d'au plus {value} mois",
    ),
    "needed_by": (
        "a closed loop exists from {value}",
        "een gesloten kringloop bestaat vanaf {value}",
        "une boucle fermée existe à partir du {value}",
    ),
    "partial": (
        "a closed loop exists when a processor may take back part of the quantity",
        "een gesloten kringloop bestaat als een verwerker een deel van de hoeveelheid mag "
        "terugnemen",
        "une boucle fermée existe si un transformateur peut reprendre une partie de la quantité",
    ),
}
CHANGE_LINKS: dict[str, Forms] = {
    "within_km": (
        "Search again within {value} km",
        "Zoek opnieuw binnen {value} km",
        "Chercher à nouveau dans un rayon de {value} km",
    ),
    "period_months": (
        "Search again for {value} months of use",
        "Zoek opnieuw voor {value} maanden gebruik",
        "Chercher à nouveau pour {value} mois d'utilisation",
    ),
    "needed_by": (
        "Search again from {value}",
        "Zoek opnieuw vanaf {value}",
        "Chercher à nouveau à partir du {value}",
    ),
    "partial": (
        "Search again, partial quantities allowed",
        "Zoek opnieuw, gedeeltelijke hoeveelheden toegestaan",
        "Chercher à nouveau, quantités partielles admises",
    ),
}
UNKNOWN_CHANGE: Forms = (
    "a closed loop exists after a change ({kind})",
    "een gesloten kringloop bestaat na een wijziging ({kind})",
    "une boucle fermée existe après une modification ({kind})",
)


def column(language: str) -> int:
    """The column of ``language`` in the catalogues (Dutch for a language they lack)."""
    return _COLUMN.get(language, _COLUMN[DEFAULT])


def word(key: str, language: str, **params: object) -> str:
    """A word of `WORDS` in ``language``, filled in with ``params``; the key itself, made
    readable, when the catalogue has no such word.

    >>> word("status.closed", "nl"), word("refurbisher", "fr"), word("fit.narrower", "en", hops=1)
    ('gesloten', 'reconditionneur', 'narrower CPV code (1 level(s))')
    """
    forms = WORDS.get(key)
    if forms is None:
        return key.rsplit(".", 1)[-1].replace("-", " ").replace("_", " ")
    text = forms[column(language)]
    return text.format(**params) if params else text


def colon(language: str) -> str:
    """A colon as the language writes it (French puts a narrow space before it)."""
    return "\u202f:" if language == "fr" else ":"


def number(value: float | int, language: str, digits: int = 1) -> str:
    """A number as the language writes it: at most ``digits`` decimals, no trailing zeros,
    thousands grouped.

    >>> number(12345.67, "nl"), number(12345.67, "fr"), number(12345.67, "en"), number(64.0, "nl")
    ('12.345,7', '12\\u202f345,7', '12,345.7', '64')
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = f"{value:,.{digits}f}" if digits > 0 else f"{round(value):,}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, _, decimals = text.partition(".")
    if language == "nl":
        whole, point = whole.replace(",", "."), ","
    elif language == "fr":
        whole, point = whole.replace(",", "\u202f"), ","
    else:
        point = "."
    return whole + (point + decimals if decimals else "")


def day(value: date | str, language: str) -> str:
    """A date as the language writes it in full.

    >>> day("2026-06-01", "nl"), day("2026-06-01", "fr"), day(date(2026, 6, 1), "en")
    ('1 juni 2026', '1 juin 2026', '1 June 2026')
    """
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    month = word("months", language).split()[value.month - 1]
    return f"{value.day} {month} {value.year}"


def status(value: str, language: str, *, long: bool = False) -> str:
    """The name of a loop status (closed, promised, open)."""
    return word(f"status.{value}{'.long' if long else ''}", language)


def role(slug: str, language: str) -> str:
    """The name of a role in a chain (``supplier (take-back)`` is a supplier).

    >>> role("refurbisher", "nl"), role("supplier (take-back)", "fr"), role("x", "en")
    ('opknapper', 'fournisseur', 'partner')
    """
    head = slug.split(" ", 1)[0]
    return word(head, language) if head in GRAPH_WORDS else word("role.partner", language)


def fit(relation: str, language: str) -> str:
    """How a product type fits the request (the product-fit component's raw value).

    >>> fit("narrower (2 CPV level(s))", "nl"), fit("exact", "fr")
    ("specifiekere CPV-code (2 niveau('s))", 'type de produit exact')
    """
    head, _, rest = relation.partition(" (")
    hops = rest.split(" ", 1)[0] if rest else "0"
    key = f"fit.{head}"
    if key not in WORDS:
        return relation
    return word(key, language, hops=hops) if "{hops}" in WORDS[key][0] else word(key, language)


def localise(
    params: Mapping[str, object],
    language: str,
    *,
    label: Callable[[str], str],
    product: str | None = None,
    materials: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The parameters of a reason said in ``language``: IRIs by their label (``label``),
    roles and units by their names, numbers and dates as the language writes them, the
    product as ``product`` (its label in the language), material names through ``materials``
    (English label → label in the language).

    >>> params = {"label": "X", "role": "recycler", "km": 50.24, "within_km": 50.0}
    >>> reason("no-processor-in-reach", localise(params, "nl", label=str), "nl")[-50:]
    'de dichtstbijzijnde is X (recycleerder) op 50,2 km'
    """
    said: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            said[name] = ""
        elif name == "role":
            said[name] = role(str(value), language)
        elif name == "unit":
            said[name] = word(f"unit.{value}", language)
        elif name == "product" and product is not None:
            said[name] = product
        elif name == "materials":
            said[name] = _materials(str(value), language, materials or {})
        elif name in ("start", "end", "until"):
            said[name] = day(str(value), language)
        elif isinstance(value, bool):
            said[name] = str(value).lower()
        elif isinstance(value, int | float):
            # one decimal, as the core's sentences say: 50.2 km is not "50 km" beside a 50 km limit
            said[name] = number(value, language, 1)
        elif "://" in str(value):
            said[name] = label(str(value))
        else:
            said[name] = str(value)
    return said


def _materials(value: str, language: str, names: Mapping[str, str]) -> str:
    if value in ("", "none known"):
        return word("none-known", language)
    return ", ".join(names.get(part, part) for part in value.split(", "))


def reason(code: str, params: Mapping[str, str], language: str) -> str:
    """The sentence of the reason ``code`` in ``language``, with localised ``params``.

    >>> reason("too-long", {"label": "X", "partners": "7", "max_partners": "6"}, "nl")
    'de weg terug via X loopt langs 7 organisaties; een kringloop telt er hoogstens 6'
    >>> reason("something-new", {}, "fr")
    'la boucle ne se ferme pas (something-new)'
    """
    forms = REASONS.get(code)
    if forms is None:
        return UNKNOWN_REASON[column(language)].format(code=code)
    template = forms[column(language)]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return _fill(template, params)


def _fill(template: str, params: Mapping[str, str]) -> str:
    """``template`` with the parameters it has, the others left empty."""

    class Missing(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "…"

    return template.format_map(Missing(params))


def change_value(kind: str, value: object, language: str) -> str:
    """The value of a change as the language writes it (a number, a date)."""
    if kind == "needed_by" and isinstance(value, str):
        return day(value, language)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return number(value, language)
    return str(value)


def change(kind: str, value: object, language: str, *, link: bool = False) -> str:
    """The sentence of a change (or, with ``link``, the words of a link that makes it).

    >>> change("within_km", 64.0, "nl"), change("within_km", 64.0, "fr", link=True)
    ('een gesloten kringloop bestaat binnen 64 km', 'Chercher à nouveau dans un rayon de 64 km')
    """
    forms = (CHANGE_LINKS if link else CHANGES).get(kind)
    if forms is None:
        return UNKNOWN_CHANGE[column(language)].format(kind=kind)
    return forms[column(language)].format(value=change_value(kind, value, language))


def funnel(
    language: str,
    *,
    product: str,
    offers: int,
    within_km: float,
    within: int,
    wider: int,
    removed: Sequence[tuple[str, int]],
) -> list[str]:
    """Why nothing matched, in ``language``: the offers of the product, how many lie within
    the distance (and twice it), what each further filter removed
    (`kringloop.queries.matchmaker.Funnel`).

    >>> for line in funnel("nl", product="Bureaustoel", offers=12, within_km=50, within=6,
    ...                    wider=8, removed=[("quantity", 6)]):
    ...     print(line)
    12 aanbiedingen van Bureaustoel (of verwante CPV-codes) in de graaf
    6 binnen 50 km; 8 binnen 100 km
    nog 6 weggenomen door de filter: hoeveelheid
    """
    if not offers:
        return [word("funnel.none", language, product=product)]
    lines = [
        word(
            f"funnel.offers.{'one' if offers == 1 else 'other'}",
            language,
            n=offers,
            product=product,
        ),
        word(
            "funnel.distance",
            language,
            within=within,
            km=number(within_km, language),
            wider=wider,
            wide=number(2 * within_km, language),
        ),
    ]
    lines += [
        word("funnel.removed", language, n=n, filter=word(f"filter.{name}", language))
        for name, n in removed
    ]
    return lines


def catalogue() -> dict[str, Forms]:
    """Every sentence and word of this module, by key (for checks over all languages)."""
    found: dict[str, Forms] = dict(WORDS)
    found.update({f"reason.{k}": v for k, v in REASONS.items()})
    found.update({f"change.{k}": v for k, v in CHANGES.items()})
    found.update({f"change-link.{k}": v for k, v in CHANGE_LINKS.items()})
    found["reason.unknown"] = UNKNOWN_REASON
    found["change.unknown"] = UNKNOWN_CHANGE
    return found
