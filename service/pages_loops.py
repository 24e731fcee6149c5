"""The loops and gaps pages for network facilitators, and their CSV, in the page's language.

Both read the one loop census (`kringloop.queries.loops.census`, run through
`kringloop.queries.jobs.census_job` as the JSON API does) of a category and a region: the
loops page counts closed, promised and open loops per category and region (a table and a
chart) and names the bottlenecks; the gaps page lists each loop that does not close with its
offer, supplier, the missing role, why, the nearest organisations that would close it and the
change that would, as a link to the request form. Unknown category or region values come
back as a message with the closest names as links.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markupsafe import Markup

from kringloop.graph.store import Store
from kringloop.queries import loops, words
from kringloop.queries.loops import Census, Gap
from kringloop.queries.resolve import ResolutionError, slug
from kringloop.queries.visual import local_name
from kringloop.service import drawing, page_errors
from kringloop.service.form_options import FormOptions, form_options
from kringloop.service.i18n import Words
from kringloop.service.names import Names


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class CellRow:
    category: Link
    region: str
    closed: int
    promised: int
    open: int
    partners: tuple[Link, ...]
    category_iri: str = ""
    region_iri: str = ""
    partner_iris: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemandRow:
    """The needs of a category in a region: how many, how many are tender lots that ask for a
    circular solution, how many a closed loop serves, and who asks."""

    category: Link
    region: str
    needs: int
    lots: int
    circular_lots: int
    served: int
    unserved: int
    unlocated: int
    buyers: tuple[Link, ...]
    category_iri: str = ""
    region_iri: str = ""
    buyer_iris: tuple[str, ...] = ()
    #: Buyers asking that ``buyers`` leaves out (the page names `BUYERS_SHOWN`, the CSV all).
    more_buyers: int = 0


@dataclass(frozen=True)
class BottleneckRow:
    organisation: Link
    loops: int
    sole: tuple[str, ...]
    articulation: bool


@dataclass(frozen=True)
class CandidateRow:
    organisation: Link
    role: str
    distance: str
    radius: str


@dataclass(frozen=True)
class GapRow:
    kind: str
    what: Link
    where: str
    supplier: Link | None
    status: str
    status_word: str
    missing: str
    why: str
    candidates: tuple[CandidateRow, ...]
    change: str | None
    find: Link | None


@dataclass
class Scope:
    """What the page was asked for, and whether it could be resolved."""

    category: str
    region: str
    problem: str | None = None
    suggestions: dict[str, list[page_errors.Suggestion]] = field(default_factory=dict)
    field: str | None = None


@dataclass
class CensusPage:
    scope: Scope
    options: FormOptions
    radius: str
    totals: str = ""
    chart: Markup = field(default_factory=Markup)
    cells: list[CellRow] = field(default_factory=list)
    bottlenecks: list[BottleneckRow] = field(default_factory=list)
    demand: list[DemandRow] = field(default_factory=list)
    demand_totals: str = ""
    gaps: list[GapRow] = field(default_factory=list)
    #: Which gaps the gaps page shows ("gaps 101-200 of 9,819") and the links to the others.
    shown: str = ""
    first: int = 1
    earlier_href: str = ""
    later_href: str = ""
    csv_href: str = ""
    demand_csv_href: str = ""
    graph_href: str = ""
    other_href: str = ""


def scope_of(pairs: Sequence[tuple[str, str]]) -> Scope:
    given = dict(pairs)
    return Scope(given.get("category", "").strip(), given.get("region", "").strip())


def refused(
    scope: Scope, error: ResolutionError, pairs: Sequence[tuple[str, str]], path: str, t: Words
) -> Scope:
    """``scope`` with the message and suggestions for a category or region that does not
    resolve."""
    given = page_errors.given_value(error, pairs)
    scope.problem = page_errors.resolution_message(error, given, t)
    scope.field = error.field
    scope.suggestions = {error.field: page_errors.suggestions(error, pairs, path, given)}
    return scope


def _query(scope: Scope, language: str, **extra: str) -> str:
    pairs = [(k, v) for k, v in (("category", scope.category), ("region", scope.region)) if v]
    pairs += [(k, v) for k, v in extra.items() if v]
    return urlencode([*pairs, ("lang", language)])


def empty_page(store: Store, scope: Scope, t: Words) -> CensusPage:
    return CensusPage(scope, form_options(store, t), t.km(loops.DEFAULT_RADIUS_KM))


#: Gaps per gaps page; the CSV holds them all.
GAPS_PER_PAGE = 100
#: Buyers named per row of the demand table; the demand CSV names them all.
BUYERS_SHOWN = 12


def _names(store: Store, iris: Iterable[str], t: Words) -> Names:
    """Names for the resources a page shows (only those: at 100k organisations a census
    holds ~10k gaps and ~60k buyers, far more than one page shows)."""
    return Names(store, {i for i in iris if "://" in i}, t)


def _loops_iris(census: Census, buyers: int | None) -> set[str]:
    """What the loops page (or its CSV) names: cells, bottlenecks, the demand and ``buyers``
    buyers per row of it (all of them when None)."""
    iris: set[str] = set()
    for cell in census.cells:
        iris |= {cell.category, cell.region, *cell.partners}
    for b in census.bottlenecks:
        iris.add(b.organisation)
    for d in census.demand:
        iris |= {d.category, d.region, *d.buyers[:buyers]}
    return iris


def _gap_iris(gaps: Iterable[Gap]) -> set[str]:
    iris: set[str] = set()
    for gap in gaps:
        iris |= {gap.subject, gap.category, gap.region, *(c.organisation for c in gap.candidates)}
        if gap.supplier:
            iris.add(gap.supplier)
    return iris


def loops_page(
    store: Store,
    census: Census,
    scope: Scope,
    t: Words,
    *,
    href: Callable[[str], str],
    every_buyer: bool = False,
) -> CensusPage:
    """The loops of ``census`` per category and region; the demand rows name
    `BUYERS_SHOWN` buyers each, or all of them with ``every_buyer`` (for the CSV)."""
    page = empty_page(store, scope, t)
    shown = None if every_buyer else BUYERS_SHOWN
    names = _names(store, _loops_iris(census, shown), t)
    counts = {s: census.count(s) for s in ("closed", "promised", "open")}
    page.totals = t("loops.totals", **counts)
    page.cells = [
        CellRow(
            Link(
                names.label(c.category),
                "/loops?" + _query(Scope(slug(c.category), scope.region), t.language),
            ),
            names.label(c.region) if "://" in c.region else c.region_label,
            c.closed,
            c.promised,
            c.open,
            tuple(Link(names.label(p), href(p)) for p in c.partners),
            c.category,
            c.region,
            c.partners,
        )
        for c in sorted(
            census.cells, key=lambda c: (names.label(c.category), names.label(c.region))
        )
    ]
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in census.cells:
        row = per_category[names.label(c.category)]
        row[0] += c.closed
        row[1] += c.promised
        row[2] += c.open
    page.chart = drawing.loops_chart(
        [drawing.ChartRow(k, *v) for k, v in sorted(per_category.items())],
        title=t("loops.chart"),
        legend=[t.status("closed"), t.status("promised"), t.status("open")],
    )
    sole: dict[str, list[str]] = defaultdict(list)
    closers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for lp in census.loops:
        closers[(lp.category, lp.region)].add(lp.processor)
    for (category, region), orgs in sorted(closers.items()):
        if len(orgs) == 1:
            where = names.label(region) if "://" in region else region
            sole[next(iter(orgs))].append(
                t("loops.in", category=names.label(category), region=where)
            )
    page.bottlenecks = [
        BottleneckRow(
            Link(names.label(b.organisation), href(b.organisation)),
            b.loops,
            tuple(sorted(sole.get(b.organisation, []))),
            b.articulation,
        )
        for b in census.bottlenecks
    ]
    page.demand = _demand(census, scope, names, t, href, shown)
    if page.demand:
        page.demand_totals = t(
            "loops.demand.totals",
            needs=sum(d.needs for d in page.demand),
            unserved=sum(d.unserved for d in page.demand),
        )
    page.csv_href = "/loops?" + _query(scope, t.language, format="csv")
    page.demand_csv_href = "/loops?" + _query(scope, t.language, format="csv", table="demand")
    page.graph_href = "/viz/loops?" + _query(scope, t.language)
    page.other_href = "/loops/gaps?" + _query(scope, t.language)
    return page


def _demand(
    census: Census,
    scope: Scope,
    names: Names,
    t: Words,
    href: Callable[[str], str],
    shown: int | None,
) -> list[DemandRow]:
    """Demand per category and region, what no loop serves first."""
    rows = []
    for d in census.demand:
        known = not d.category.startswith(loops.CPV_BASE)
        label = names.label(d.category) if known else d.category_label
        target = (
            "/loops?" + _query(Scope(slug(d.category), scope.region), t.language)
            if known
            else href(d.category)
        )
        rows.append(
            DemandRow(
                Link(label, target),
                names.label(d.region) if "://" in d.region else d.region_label,
                d.needs,
                d.lots,
                d.circular_lots,
                d.served,
                d.unserved,
                d.unlocated,
                tuple(
                    Link(_buyer_name(names, b, given), href(b))
                    for b, given in zip(d.buyers[:shown], d.buyer_labels[:shown], strict=True)
                ),
                d.category,
                d.region,
                d.buyers[:shown],
                len(d.buyers[shown:]) if shown is not None else 0,
            )
        )
    return sorted(rows, key=lambda r: (-r.unserved, r.category.text, r.region))


def _buyer_name(names: Names, iri: str, given: str) -> str:
    """A buyer's label in the page's languages; the census's name when the store has none."""
    found = names.label(iri)
    return given if given and found == local_name(iri) else found


def gaps_page(
    store: Store,
    census: Census,
    scope: Scope,
    t: Words,
    *,
    href: Callable[[str], str],
    number: int | None = 1,
) -> CensusPage:
    """The gaps of ``census``: loops that do not close, and what is missing; `GAPS_PER_PAGE`
    of them, the ``number``-th page of them (all when None: the CSV)."""
    page = empty_page(store, scope, t)
    total = len(census.gaps)
    first, last = 0, total
    if number is not None:
        pages = max(1, -(-total // GAPS_PER_PAGE))
        number = min(max(number, 1), pages)
        first, last = (number - 1) * GAPS_PER_PAGE, min(total, number * GAPS_PER_PAGE)
        if pages > 1:
            page.shown = t("gaps.shown", first=t.num(first + 1), last=t.num(last), n=t.num(total))
        if number > 1:
            page.earlier_href = "/loops/gaps?" + _query(scope, t.language, page=str(number - 1))
        if number < pages:
            page.later_href = "/loops/gaps?" + _query(scope, t.language, page=str(number + 1))
    gaps = census.gaps[first:last]
    page.first = first + 1
    names = _names(store, _gap_iris(gaps), t)
    page.totals = t.n("gaps.count", total)
    page.gaps = [_gap(g, census, names, t, href) for g in gaps]
    page.csv_href = "/loops/gaps?" + _query(scope, t.language, format="csv")
    page.graph_href = "/viz/loops?" + _query(scope, t.language)
    page.other_href = "/loops?" + _query(scope, t.language)
    return page


def _why(gap: Gap, census: Census, names: Names, t: Words) -> str:
    product = names.label(gap.category)
    if gap.kind == "need":
        return t("gaps.need", product=product)
    if gap.kind == "processor":
        return t("gaps.processor", label=names.label(gap.subject))
    verdict = census.verdicts.get(gap.subject)
    if verdict is None or verdict.reason is None:
        return t.status(gap.status, long=True)
    materials = names.lists.lists.get("material")
    params = words.localise(
        verdict.reason.params,
        t.language,
        label=names.thing,
        product=product,
        materials={c.label("en"): c.label(t.language) for c in materials.codes.values()}
        if materials
        else {},
    )
    return words.reason(verdict.reason.code, params, t.language)


def _gap(gap: Gap, census: Census, names: Names, t: Words, href: Callable[[str], str]) -> GapRow:
    verdict = census.verdicts.get(gap.subject) if gap.kind == "supply" else None
    change = None
    find = None
    if verdict is not None and verdict.change is not None:
        change = words.change(verdict.change.kind, verdict.change.value, t.language)
    site = census.sites.get(gap.subject)
    if gap.kind == "supply" and site is not None:
        query: list[tuple[str, str]] = [
            ("what", slug(gap.category)),
            ("lat", f"{site.lat:g}"),
            ("long", f"{site.long:g}"),
        ]
        if (
            verdict is not None
            and verdict.change is not None
            and verdict.change.kind == "within_km"
        ):
            query.append(("within_km", f"{float(str(verdict.change.value)):g}"))
        find = Link(t("gaps.find"), "/find?" + urlencode([*query, ("lang", t.language)]))
    where = names.label(gap.region) if "://" in gap.region else gap.region
    return GapRow(
        kind=t(f"gaps.kind.{gap.kind}"),
        what=Link(names.thing(gap.subject), href(gap.subject)),
        where=t("gaps.category", category=names.label(gap.category), region=where),
        supplier=Link(names.label(gap.supplier), href(gap.supplier)) if gap.supplier else None,
        status=gap.status,
        status_word=t.status(gap.status),
        missing=t.role(gap.missing_role),
        why=_why(gap, census, names, t),
        candidates=tuple(
            CandidateRow(
                Link(names.label(c.organisation), href(c.organisation)),
                t.role(c.role),
                t.km(c.distance_km),
                t("gaps.radius", km=t.num(c.radius_km)) if c.radius_km is not None else "",
            )
            for c in gap.candidates
        ),
        change=change,
        find=find,
    )


# -- CSV ---------------------------------------------------------------------------------------


def _csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _where(t: Words) -> list[str]:
    """The first columns of a table per category and region: names and IRIs."""
    return [t("loops.category"), "category", t("loops.region"), "region"]


def _where_of(row: CellRow | DemandRow) -> list[str]:
    return [row.category.text, row.category_iri, row.region, row.region_iri]


def _demand_row(d: DemandRow) -> list[object]:
    counts = [d.needs, d.lots, d.circular_lots, d.served, d.unserved, d.unlocated]
    buyers = [" | ".join(b.text for b in d.buyers), " ".join(d.buyer_iris)]
    return [*_where_of(d), *counts, *buyers]


def loops_csv(page: CensusPage, t: Words) -> str:
    """The loops table as CSV (headers in the page's language, IRIs alongside the names)."""
    header = [*_where(t), t.status("closed"), t.status("promised"), t.status("open")]
    return _csv(
        [*header, t("loops.partners")],
        (
            [*_where_of(c), c.closed, c.promised, c.open, " ".join(c.partner_iris)]
            for c in page.cells
        ),
    )


def demand_csv(page: CensusPage, t: Words) -> str:
    """The demand table as CSV, what no loop serves first (headers in the page's language,
    IRIs alongside the names; buyers separated by spaces, their names by " | ")."""
    counts = ("needs", "lots", "circular", "served", "unserved", "unlocated", "buyers")
    return _csv(
        [*_where(t), *(t("loops.demand." + c) for c in counts), "buyers"],
        (_demand_row(d) for d in page.demand),
    )


def gaps_csv(page: CensusPage, census: Census, t: Words) -> str:
    """The gaps as CSV: one line per gap, in the page's language, IRIs alongside."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            t("gaps.kind.supply") + " / " + t("gaps.kind.need") + " / " + t("gaps.kind.processor"),
            t("gaps.what"),
            "subject",
            t("loops.category"),
            "category",
            "region",
            t("gaps.supplier"),
            "supplier",
            t("gaps.status"),
            t("gaps.missing"),
            t("gaps.why"),
            t("gaps.candidates"),
            t("gaps.change"),
        ]
    )
    for gap, row in zip(census.gaps, page.gaps, strict=True):
        writer.writerow(
            [
                row.kind,
                row.what.text,
                gap.subject,
                row.where,
                gap.category,
                gap.region,
                row.supplier.text if row.supplier else "",
                gap.supplier or "",
                row.status_word,
                row.missing,
                row.why,
                "; ".join(
                    f"{c.organisation.text} ({c.role}, {c.distance}"
                    + (f", {c.radius}" if c.radius else "")
                    + ")"
                    for c in row.candidates
                ),
                row.change or "",
            ]
        )
    return out.getvalue()
