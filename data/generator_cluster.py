"""One local market of the generator: about forty organisations around one town.

A cluster is planned before it is written: first its *core* (for every product type that is
meant to close, a producer, a supplier and a processor with a return flow; the region's gap
product type with a producer and a supplier but no processor; buyers; a facilitator; one
processor of each kind), then organisations drawn from a weighted mix (mostly buyers). Then
each organisation is written with its sites, roles, offers and needs (`generator_offers`), and
finally the flows between them: producer → supplier → buyer → processor → producer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kringloop.data import generator_offers as offers
from kringloop.data.generator_inputs import Inputs, Place, Product
from kringloop.data.generator_offers import PROCESS_KINDS, Org, Processing
from kringloop.data.generator_rdf import (
    A_FLOW,
    A_MEMBERSHIP,
    A_NETWORK,
    A_ORG,
    A_PART,
    A_PROJECT,
    A_RETURN,
    A_SITE,
    AT_SITE,
    BUYER,
    CATEGORY,
    CONTRACTOR,
    DATES,
    DECIMAL,
    END,
    FLOW_FROM,
    FLOW_OF,
    FLOW_TO,
    FOR_PRODUCT,
    GEN,
    HAS_SITE,
    LABEL,
    LAT,
    LONG,
    MEMBER,
    MEMBER_SINCE,
    MEMBERSHIP_ROLE,
    NETWORK,
    PART_OF,
    PLACE,
    PLAYS,
    PROJECT_MODEL,
    PROJECT_STRATEGY,
    QUANTITY,
    RDF_TYPE,
    RESULT,
    REUSED,
    ROLE,
    START,
    UNIT,
    VIA,
    Writer,
    dec,
    escaped,
    text,
    unit,
)

#: Site jitter around its town, in 1e-5 degrees (below 0.05°, at most ~6.6 km away).
JITTER = 4_999
KINDS = ("refurbish", "repair", "remanufacture", "recycle", "collect", "compost")


ROLE_NAMES = {
    "producer": "Producer", "supplier": "Supplier", "buyer": "Buyer", "collector": "Collector",
    "repairer": "Repairer", "refurbisher": "Refurbisher", "remanufacturer": "Remanufacturer",
    "recycler": "Recycler", "composter": "Composter", "sharing-platform": "Sharing Platform",
    "facilitator": "Facilitator",
}  # fmt: skip
#: Archetypes of the organisations that fill a cluster after its core, with weights.
MIX = {
    "buyer": 62.0, "supplier": 11.0, "producer": 5.0, "refurbish": 4.0, "repair": 3.0,
    "remanufacture": 1.5, "recycle": 3.5, "collect": 3.5, "compost": 1.0, "sharing": 2.5,
    "facilitator": 1.5, "gap-supplier": 2.5,
}  # fmt: skip
Plan = tuple[str, Product | None, str]  # (archetype, product, process kind)
Todo = tuple[str, Product, str]  # ("supply" | "process" | "need" | "surplus", product, how)


@dataclass
class Shared:
    """What all clusters of a run share: the writer, id counters, code-list terms and gaps."""

    writer: Writer
    inputs: Inputs
    gaps: dict[str, Product]  # region → its gap product type
    counts: dict[str, int] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)  # region → learning network
    closed: int = 0
    open: int = 0

    def __post_init__(self) -> None:
        self.code = {
            scheme: {slug: f"<{iri}>" for slug, iri in slugs.items()}
            for scheme, slugs in self.inputs.codes.items()
        }
        self.labels = {p.iri: escaped(_lower_first(p.label)) for p in self.inputs.products}
        self.towns = {p.iri: escaped(p.label) for p in self.inputs.places}
        self.gap_materials = {
            region: {c.material for c in gap.components} for region, gap in self.gaps.items()
        }

    def new(self, kind: str) -> str:
        """A fresh IRI ``{GEN}{kind}/{n}``."""
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        return f"<{GEN}{kind}/{n}>"


def _lower_first(label: str) -> str:
    """A label for use inside a sentence: "Office chair" → "office chair", "LED" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


class Cluster:
    """A local market around ``anchor``: plans its organisations, then writes them."""

    def __init__(
        self,
        shared: Shared,
        rng: random.Random,
        anchor: Place,
        closed: list[Product],
        gap: Product | None,
        distances: list[tuple[float, str]],
    ) -> None:
        self.s = shared
        self.w = shared.writer
        self.rng = rng
        self.anchor = anchor
        self.closed = closed  # product types meant to close here
        self.gap = gap  # the region's gap product type, when this cluster carries it
        self.distances = distances  # (km, region) from the town, nearest first
        self.by_role: dict[tuple[str, str], list[Org]] = {}  # (role, product IRI) → orgs
        self.facilitators: list[Org] = []
        self.buyers: list[Org] = []
        self.processing: list[Processing] = []
        self.supplied: list[tuple[Org, Product]] = []
        self.loop_kind: dict[str, str] = {}  # product IRI → kind of the processor closing it
        self.lat0 = round(anchor.lat * 100_000)
        self.long0 = round(anchor.long * 100_000)
        self.town = shared.towns[anchor.iri]
        self.place = f"<{anchor.iri}>"

    def code(self, scheme: str, slug: str) -> str:
        return self.s.code[scheme][slug]

    # -- planning

    def plan(self, size: int) -> list[Plan]:
        """Archetypes in order: the core first (cut short in tiny markets), then the mix."""
        rng, closed = self.rng, self.closed
        core: list[Plan] = []
        for i, product in enumerate(closed):
            kind = self.main_kind(product)
            self.loop_kind[product.iri] = kind
            core += [("producer", product, ""), ("supplier", product, "")]
            core.append(("processor", product, kind))
            if i == 0:
                core += [("buyer", None, ""), ("buyer", None, "")]
                if self.gap is not None:
                    core += [("producer", self.gap, ""), ("gap-supplier", self.gap, "")]
                core.append(("facilitator", None, ""))
        for kind in KINDS:
            fits = [p for p in closed if kind in p.profile.processes]
            if kind not in self.loop_kind.values() and fits:
                core.append(("extra-processor", rng.choice(fits), kind))
        core.append(("sharing", None, ""))
        plan = core[:size]
        names, weights = list(MIX), list(MIX.values())
        while len(plan) < size:
            name = rng.choices(names, weights)[0]
            if name in KINDS:
                fits = [p for p in closed if name in p.profile.processes]
                if not fits:
                    name, fits = "recycle", [p for p in closed if "recycle" in p.profile.processes]
                plan.append(("extra-processor", rng.choice(fits or closed), name))
            elif name == "gap-supplier":
                plan.append(("gap-supplier", self.gap, "") if self.gap else ("buyer", None, ""))
            elif name in ("supplier", "producer"):
                plan.append((name, rng.choice(closed), ""))
            else:
                plan.append((name, None, ""))
        return plan

    def main_kind(self, product: Product) -> str:
        kinds = product.profile.processes
        return self.rng.choices(kinds, [len(kinds) - i + 1.0 for i in range(len(kinds))])[0]

    def pick(self, product: Product, fits: str = "") -> Product:
        """Another closed product type of the same family as ``product`` (that a ``fits``
        process handles), or ``product`` itself when there is none."""
        options = [
            p
            for p in self.closed
            if p is not product
            and p.profile.family == product.profile.family
            and (not fits or fits in p.profile.processes)
        ]
        return self.rng.choice(options) if options else product

    # -- building

    def build(self, size: int) -> None:
        self.network()
        planned = [self.organisation(*item) for item in self.plan(size)]
        for org, todo in planned:
            self.write_org(org)
            for what, product, how in todo:
                if what == "supply":
                    offers.supply_offers(self, org, product, how)
                elif what == "process":
                    offers.processing_offer(self, org, product, how)
                elif what == "need":
                    offers.need(self, org, product)
                else:
                    offers.surplus(self, org, product)
        self.flows()
        self.projects()
        self.count_loops()

    def network(self) -> None:
        """The region's learning network, written by the first cluster in the region."""
        region = self.anchor.region
        if region not in self.s.networks:
            iri = self.s.new("network")
            number = self.s.counts["network"]
            self.s.networks[region] = iri
            name = f"Example Generated Learning Network {number} {self.town}"
            self.w.block(iri, [(RDF_TYPE, A_NETWORK), (LABEL, f'"{name}"')])

    def organisation(self, kind: str, product: Product | None, how: str) -> tuple[Org, list[Todo]]:
        """Decide an organisation's roles and what it offers or needs (written later)."""
        rng = self.rng
        parts: list[tuple[str, Product | None]] = []
        todo: list[Todo] = []
        name = kind
        if kind == "buyer":
            wanted = [*self.closed, *([self.gap] if self.gap else [])]
            count = min(len(wanted), rng.choices((1, 2, 3), (3, 4, 3))[0])
            chosen = rng.sample(wanted, count)
            for item in chosen:
                parts.append(("buyer", item))
                todo.append(("need", item, ""))
            first = chosen[0]
            if len(parts) < 3 and rng.random() < 0.3:
                parts.append(("user", first))
            if rng.random() < 0.2:
                todo.append(("surplus", first, ""))
        elif kind == "producer" and product is not None:
            parts.append(("producer", product))
            if rng.random() < 0.3:
                parts.append(("supplier", product))
                todo.append(("supply", product, "producer"))
        elif kind in ("supplier", "gap-supplier") and product is not None:
            gap = kind == "gap-supplier"
            parts.append(("supplier", product))
            todo.append(("supply", product, "gap" if gap else ""))
            other = self.pick(product)
            if other is not product and rng.random() < 0.7:
                parts.append(("supplier", other))
                todo.append(("supply", other, ""))
            if not gap and rng.random() < 0.25:
                parts.append(("collector", product))
                todo.append(("process", product, "take-back"))
            name = "supplier"
        elif kind in ("processor", "extra-processor") and product is not None:
            spec = PROCESS_KINDS[how]
            parts.append((spec.role, product))
            other = self.pick(product, fits=how)
            if other is not product and rng.random() < 0.3:
                parts.append((spec.role, other))
            todo.append(("process", product, f"{how}/{'main' if kind == 'processor' else 'extra'}"))
            if how in ("refurbish", "remanufacture") and rng.random() < 0.4:
                parts.append(("supplier", product))
                todo.append(("supply", product, how))
            elif how == "recycle" and rng.random() < 0.3:
                parts.append(("collector", product))
                todo.append(("process", product, "collect/extra"))
            name = spec.role
        elif kind == "sharing":
            poolable = [p for p in self.closed if "pooling" in p.profile.models]
            shared = rng.choice(poolable or self.closed)
            parts.append(("sharing-platform", shared))
            todo.append(("supply", shared, "sharing"))
            name = "sharing-platform"
        else:
            parts.append(("facilitator", None))
            name = "facilitator"
        org = self.new_org(name, parts)
        if name == "facilitator":
            self.facilitators.append(org)
        elif name == "buyer":
            self.buyers.append(org)
        for role, played in parts:
            if played is not None:
                self.by_role.setdefault((role, played.iri), []).append(org)
        return org, todo

    def jitter(self) -> tuple[str, str]:
        """Coordinates of a new site: its town's, moved by less than 0.05° each way."""
        lat = (self.lat0 + self.rng.randint(-JITTER, JITTER)) / 100_000
        long = (self.long0 + self.rng.randint(-JITTER, JITTER)) / 100_000
        return f"{lat:.5f}", f"{long:.5f}"

    def new_org(self, role: str, parts: list[tuple[str, Product | None]]) -> Org:
        iri = self.s.new("organisation")
        name = f"Example Generated {ROLE_NAMES[role]} {self.s.counts['organisation']} {self.town}"
        lat, long = self.jitter()
        return Org(iri, self.s.new("site"), name, lat, long, role, parts)

    def write_org(self, org: Org) -> None:
        w, rng = self.w, self.rng
        roles = []
        for role, product in org.parts:
            part = self.s.new("role-participation")
            roles.append(part)
            pairs = [(RDF_TYPE, A_PART), (ROLE, self.code("role", role)), (AT_SITE, org.site)]
            if product is not None:
                pairs.append((FOR_PRODUCT, f"<{product.iri}>"))
            w.block(part, pairs)
        sites = [(org.site, "main site", org.lat, org.long)]
        if org.role != "facilitator" and rng.random() < 0.25:
            second = {"producer": "warehouse", "supplier": "warehouse", "buyer": "second office"}
            sites.append((self.s.new("site"), second.get(org.role, "workshop"), *self.jitter()))
        w.block(
            org.iri,
            [(RDF_TYPE, A_ORG), (LABEL, f'"{org.name}"')]
            + [(HAS_SITE, site[0]) for site in sites]
            + [(PLAYS, r) for r in roles],
        )
        for site, what, lat, long in sites:
            w.block(
                site,
                [
                    (RDF_TYPE, A_SITE),
                    (LABEL, f'"{org.name}, {what}"'),
                    (PLACE, self.place),
                    (LAT, f'"{lat}"{DECIMAL}'),
                    (LONG, f'"{long}"{DECIMAL}'),
                ],
            )
        if org.role == "facilitator" or (org.role == "buyer" and rng.random() < 0.4):
            org.network = self.s.networks[self.anchor.region]
            role = "facilitator" if org.role == "facilitator" else "participant"
            w.block(
                self.s.new("membership"),
                [
                    (RDF_TYPE, A_MEMBERSHIP),
                    (MEMBER, org.iri),
                    (NETWORK, org.network),
                    (MEMBERSHIP_ROLE, self.code("network-role", role)),
                    (MEMBER_SINCE, DATES[rng.randrange(0, 365)]),
                ],
            )

    # -- flows and projects

    def flow(self, source: Org, target: Org, of: str, amount: float, unit_name: str) -> str:
        flow = self.s.new("flow")
        self.w.block(
            flow,
            [
                (RDF_TYPE, A_FLOW),
                (FLOW_FROM, source.iri),
                (FLOW_TO, target.iri),
                (FLOW_OF, of),
                (QUANTITY, dec(amount, 1)),
                (UNIT, unit(unit_name)),
            ],
        )
        return flow

    def flows(self) -> None:
        """Supply flows (producer → supplier → buyer), used products (buyer → processor) and
        return flows (processor → producer, via its process)."""
        rng = self.rng
        for supplier, product in self.supplied:
            makers = [
                o for o in self.by_role.get(("producer", product.iri), []) if o is not supplier
            ]
            if makers:
                amount = offers.quantity(rng, product) * 2
                self.flow(
                    rng.choice(makers), supplier, f"<{product.iri}>", amount, product.profile.unit
                )
        for buyer in self.buyers:
            for role, wanted in buyer.parts:
                if role != "buyer" or wanted is None or rng.random() > 0.8:
                    continue
                sellers = [
                    o for o in self.by_role.get(("supplier", wanted.iri), []) if o is not buyer
                ]
                if sellers:
                    amount = max(1.0, round(offers.quantity(rng, wanted) * 0.3))
                    self.flow(
                        rng.choice(sellers), buyer, f"<{wanted.iri}>", amount, wanted.profile.unit
                    )
        for offer in self.processing:
            product = offer.products[0]
            users = self.by_role.get(("buyer", product.iri), [])
            if users and rng.random() < 0.7:
                amount = max(1.0, round(offers.quantity(rng, product) * 0.2))
                self.flow(
                    rng.choice(users), offer.org, f"<{product.iri}>", amount, product.profile.unit
                )
            if offer.returns:
                self.return_flow(offer, product)  # fmt: skip

    def return_flow(self, offer: Processing, product: Product) -> None:
        rng = self.rng
        makers = [o for o in self.by_role.get(("producer", product.iri), []) if o is not offer.org]
        if not makers:
            offer.returns = False
            return
        amount = max(1.0, round(offers.quantity(rng, product) * 0.15))
        of, unit_name = f"<{product.iri}>", product.profile.unit
        if offer.kind == "recycle" and product.components:
            component = product.components[0]
            of, unit_name = f"<{component.material}>", "KiloGM"
            amount = amount * product.mass * component.fraction
        elif offer.kind == "compost":  # compost, a biological-cycle carrier of the product
            of, unit_name = f"<{offers.COMPOST}>", "KiloGM"
            amount = amount * product.mass
        flow = self.s.new("flow")
        self.w.block(
            flow,
            [
                (RDF_TYPE, A_RETURN),
                (FLOW_FROM, offer.org.iri),
                (FLOW_TO, rng.choice(makers).iri),
                (FLOW_OF, of),
                (QUANTITY, dec(amount, 1)),
                (UNIT, unit(unit_name)),
                (VIA, offer.process),
            ],
        )

    def projects(self) -> None:
        """Circular procurement projects of some buyers, with a contractor from the cluster."""
        rng = self.rng
        for buyer in self.buyers:
            product = buyer.parts[0][1]
            if product is None or rng.random() > 0.2:
                continue
            contractors = self.by_role.get(("supplier", product.iri), [])
            if not contractors:
                continue
            start = rng.randrange(0, 500)
            kind = PROCESS_KINDS[self.loop_kind.get(product.iri, "recycle")]
            share = rng.uniform(0.2, 0.85)
            label = f"Circular purchase of {self.s.labels[product.iri]} by {buyer.name}"
            result = f"About {share:.0%} of the material by weight was reused or kept in the loop."
            pairs = [
                (RDF_TYPE, A_PROJECT),
                (LABEL, f'"{label}"'),
                (BUYER, buyer.iri),
                (CONTRACTOR, rng.choice(contractors).iri),
                (CATEGORY, f"<{product.iri}>"),
                (PROJECT_STRATEGY, self.code("strategy", kind.strategy)),
                (PROJECT_MODEL, self.code("business-model", rng.choice(product.profile.models))),
                (START, DATES[start]),
                (END, DATES[min(len(DATES) - 1, start + rng.randrange(180, 540))]),
                (RESULT, text(result, "en")),
                (REUSED, dec(share)),
            ]
            if buyer.network:
                pairs.append((PART_OF, buyer.network))
            self.w.block(self.s.new("project"), pairs)  # fmt: skip

    def count_loops(self) -> None:
        returned = {o.products[0].iri for o in self.processing if o.returns}
        for product in self.closed:
            makers = self.by_role.get(("producer", product.iri))
            sellers = self.by_role.get(("supplier", product.iri))
            if makers and sellers and product.iri in returned:
                self.s.closed += 1
        if self.gap is not None and self.by_role.get(("supplier", self.gap.iri)):
            self.s.open += 1
