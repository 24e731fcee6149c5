"""Terms and writers of the market generator: N-Triples lines built as text, or Turtle.

Terms are kept in their N-Triples form (``<iri>``, ``"literal"^^<datatype>``), so a line is
``f"{s} {p} {o} .\\n"``. Text is escaped by pyoxigraph (`text`, `escaped`); numbers and dates
are formatted here from controlled values. The Turtle writer shortens the same terms with
prefixes and groups each subject's triples, streaming just the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import BinaryIO

import pyoxigraph as ox

from kringloop.data.generator_inputs import ID, KL

GEN = "https://example.org/kringloop/gen/"
XSD = "http://www.w3.org/2001/XMLSchema#"
UNIT_BASE = "http://qudt.org/vocab/unit/"
#: The kinds of generated resources: ``{GEN}{kind}/{n}``.
ENTITY_KINDS = (
    "organisation", "site", "role-participation", "offer", "process", "claim", "flow", "need",
    "batch", "network", "membership", "project",
)  # fmt: skip

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DECIMAL = f"^^<{XSD}decimal>"
TRUE, FALSE = f'"true"^^<{XSD}boolean>', f'"false"^^<{XSD}boolean>'
FIRST_DAY = dt.date(2026, 1, 1)
#: Every day of 2026-2028 as an xsd:date literal.
DATES = tuple(
    f'"{(FIRST_DAY + dt.timedelta(days=d)).isoformat()}"^^<{XSD}date>' for d in range(1096)
)


def kl(local: str) -> str:
    """A kringloop term.

    >>> kl("Site")
    '<https://w3id.org/kringloop/ns#Site>'
    """
    return f"<{KL}{local}>"


def dec(value: float, places: int = 2) -> str:
    """An xsd:decimal literal.

    >>> dec(3.14159), dec(120, 1)
    ('"3.14"^^<http://www.w3.org/2001/XMLSchema#decimal>', '"120.0"^^<...#decimal>')
    """
    return f'"{value:.{places}f}"{DECIMAL}'


def integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


def text(value: str, lang: str | None = None) -> str:
    """A string literal, escaped by pyoxigraph.

    >>> print(text('Example "quoted"', "en"))
    "Example \\"quoted\\""@en
    """
    return str(ox.Literal(value, language=lang))


def escaped(value: str) -> str:
    """``value`` escaped for use inside a string literal."""
    return text(value)[1:-1]


def unit(name: str) -> str:
    return f"<{UNIT_BASE}{name}>"


A_ORG, A_SITE, A_PART = kl("Organisation"), kl("Site"), kl("RoleParticipation")
A_SUPPLY, A_SURPLUS, A_PROCESSING = kl("SupplyOffer"), kl("InternalSurplus"), kl("ProcessingOffer")
A_CLAIM, A_FLOW, A_RETURN, A_NEED = kl("Claim"), kl("Flow"), kl("ReturnFlow"), kl("Need")
A_BATCH, A_NETWORK = kl("ProductBatch"), kl("LearningNetwork")
A_MEMBERSHIP, A_PROJECT = kl("Membership"), kl("ProcurementProject")
HAS_SITE, PLACE, LAT, LONG = kl("hasSite"), kl("place"), kl("lat"), kl("long")
PLAYS, ROLE, FOR_PRODUCT, AT_SITE = kl("playsRole"), kl("role"), kl("forProductType"), kl("atSite")
OFFERED_BY, FROM_SITE, MODEL = kl("offeredBy"), kl("fromSite"), kl("businessModel")
STRATEGY, CLAIM, VALID_FROM = kl("strategy"), kl("claim"), kl("validFrom")
VALID_THROUGH, RADIUS, ITEM = kl("validThrough"), kl("serviceRadiusKm"), kl("itemOffered")
CONDITION, AVAILABLE, MINIMUM = kl("condition"), kl("availableQuantity"), kl("minimumQuantity")
UNIT, UNIT_PRICE, MONTHLY, TERM = kl("unit"), kl("unitPrice"), kl("monthlyFee"), kl("termMonths")
MAINTENANCE, END_OF_LIFE = kl("maintenanceCostPerYear"), kl("endOfLifeCost")
RESIDUAL, FEATURE, CO2E = kl("residualValue"), kl("designFeature"), kl("co2eAvoidedKgPerUnit")
TAKE_BACK, RECYCLED = kl("includesTakeBack"), kl("recycledContent")
AVAILABLE_FROM, AVAILABLE_UNTIL = kl("availableFrom"), kl("availableUntil")
PROCESS, ACCEPTS_TYPE = kl("process"), kl("acceptsProductType")
ACCEPTS_MATERIAL, CAPACITY = kl("acceptsMaterial"), kl("capacityPerYear")
PERFORMED_BY, INPUT, OUTPUT = kl("performedBy"), kl("input"), kl("output")
SCHEME, EVIDENCE, VERIFIED_BY = kl("scheme"), kl("evidence"), kl("verifiedBy")
LEVEL, VALID_UNTIL = kl("verificationLevel"), kl("validUntil")
FLOW_FROM, FLOW_TO, FLOW_OF, VIA = kl("flowFrom"), kl("flowTo"), kl("flowOf"), kl("viaProcess")
QUANTITY, REQUESTED_BY, REQUESTS = kl("quantity"), kl("requestedBy"), kl("requestsProductType")
AT_PLACE, MAX_KM, NEEDED_BY = kl("atPlace"), kl("maxDistanceKm"), kl("neededBy")
PERIOD, ACCEPTS_MODEL, MAX_RANK = kl("periodMonths"), kl("acceptsBusinessModel"), kl("maxRRank")
TCO, REQUIRES_CERT = kl("tcoHorizonYears"), kl("requiresCertification")
REQUIRES_STRATEGY, OF_PRODUCT, HELD_BY = kl("requiresStrategy"), kl("ofProductType"), kl("heldBy")
MEMBER, NETWORK, MEMBERSHIP_ROLE = kl("member"), kl("network"), kl("membershipRole")
MEMBER_SINCE, BUYER, CONTRACTOR = kl("memberSince"), kl("buyer"), kl("contractor")
CATEGORY, PROJECT_STRATEGY = kl("category"), kl("projectStrategy")
PROJECT_MODEL, START, END = kl("projectBusinessModel"), kl("startDate"), kl("endDate")
RESULT, REUSED, PART_OF = kl("result"), kl("reusedMassShare"), kl("partOfNetwork")

Pairs = Sequence[tuple[str, str]]


class Writer:
    """Collects the subject blocks of one cluster and writes them in one go (`flush`)."""

    def __init__(self, out: BinaryIO, progress: Callable[[int], None] | None) -> None:
        self._out = out
        self._progress = progress
        self._parts: list[str] = []
        self.triples = 0

    def block(self, subject: str, pairs: Pairs) -> None:
        self.triples += len(pairs)
        self._parts.append("".join(f"{subject} {p} {o} .\n" for p, o in pairs))

    def flush(self) -> None:
        data = "".join(self._parts).encode("utf-8")
        self._parts.clear()
        self._out.write(data)
        if self._progress is not None:
            self._progress(len(data))


TURTLE_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "kl": KL,
    "unit": UNIT_BASE,
    **{
        kind: f"{ID}{kind}/"
        for kind in (
            "role", "network-role", "business-model", "strategy", "condition", "certification",
            "verification-level", "design-feature", "product", "material", "place",
        )
    },
    **{f"gen-{kind}": f"{GEN}{kind}/" for kind in ENTITY_KINDS},
}  # fmt: skip


class TurtleWriter(Writer):
    """Turtle with prefixes: one block per subject, IRIs shortened where the local name allows.

    >>> import io
    >>> out = io.BytesIO()
    >>> w = TurtleWriter(out, None)
    >>> w.block(f"<{GEN}site/1>", [(RDF_TYPE, A_SITE), (LAT, dec(50.8, 5))])
    >>> w.flush()
    >>> print(out.getvalue().decode().split("\\n\\n")[-2])
    gen-site:1 a kl:Site ;
        kl:lat "50.80000"^^xsd:decimal .
    """

    def __init__(self, out: BinaryIO, progress: Callable[[int], None] | None) -> None:
        super().__init__(out, progress)
        self._short: dict[str, str] = {RDF_TYPE: "a"}
        self._namespaces = sorted(
            ((ns, prefix) for prefix, ns in TURTLE_PREFIXES.items()), key=lambda x: -len(x[0])
        )
        self._parts.append(
            "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in TURTLE_PREFIXES.items()) + "\n"
        )

    def _term(self, term: str) -> str:
        if term[0] == '"':
            head, sep, datatype = term.rpartition("^^<")
            if sep and datatype.startswith(XSD):
                return f"{head}^^xsd:{datatype[len(XSD) : -1]}"
            return term
        short = self._short.get(term)
        if short is None:
            short = term
            iri = term[1:-1]
            for ns, prefix in self._namespaces:
                local = iri[len(ns) :]
                if iri.startswith(ns) and local.replace("-", "").isalnum() and local[-1] != "-":
                    short = f"{prefix}:{local}"
                    break
            if not iri.startswith(GEN):  # generated IRIs are many and used a few times each
                self._short[term] = short
        return short

    def block(self, subject: str, pairs: Pairs) -> None:
        self.triples += len(pairs)
        body = " ;\n    ".join(f"{self._term(p)} {self._term(o)}" for p, o in pairs)
        self._parts.append(f"{self._term(subject)} {body} .\n\n")
