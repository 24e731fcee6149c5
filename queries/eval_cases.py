"""The evaluation cases: a buyer's request and what the answer must be (``data/eval/cases/``).

One YAML file per rule of the loop verdict (plus the documented real cases, crowded markets and
the designed loops of the market), each a list of cases in the format of the loop-verdict
specification. A case runs on the demo data, or on a small scenario graph of its own
(``data/eval/scenarios/{scenario}.ttl``, loaded with the vocabulary, code lists, CPV and places
only). In a scenario case an IRI may be written relative to the scenario's namespace
(``offer-lease`` for ``https://example.org/kringloop/eval/{scenario}/offer-lease``).

Unknown keys are refused, with the file and the case that has them, so that a misspelt
expectation cannot pass unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kringloop.data import DATA_DIR
from kringloop.graph.errors import ConfigError

EVAL_DIR = DATA_DIR / "eval"
CASES_DIR = EVAL_DIR / "cases"
SCENARIOS_DIR = EVAL_DIR / "scenarios"
#: Scenario IRIs live under this base, one namespace per scenario.
SCENARIO_BASE = "https://example.org/kringloop/eval/"
#: The date the cases are replayed at unless a case says otherwise, so that offers' validity
#: does not age the results.
EVAL_DAY = date(2026, 11, 1)
#: The rules of the loop verdict (1-11) and the other kinds of case.
RULES = tuple(str(n) for n in range(1, 12))
KINDS = (*RULES, "real", "crowded", "hit", "market")
#: What each kind of case checks, as the report shows it.
TITLES = {
    "1": "valid over the period of use",
    "2": "service radius and delivery area",
    "3": "what flows back",
    "4": "at most six partners",
    "5": "quantities, availability, capacity",
    "6": "biological cycle",
    "7": "strategy credited by the way back",
    "8": "nearest site, owl:sameAs",
    "9": "closed, promised, open",
    "10": "code-list values resolved",
    "11": "same triples in several graphs",
    "real": "documented real cases",
    "crowded": "crowded markets",
    "hit": "designed best supplier (hit@k)",
    "market": "designed loops and gaps",
}

Status = Literal["closed", "promised", "open"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Strict):
    """The smallest change that closes an open loop. A numeric ``value`` is an upper bound (a
    closed loop exists within it), ``at_least`` a lower one; any other value must be equal."""

    kind: str
    value: float | str | bool | None = None
    at_least: float | None = None


class Expect(_Strict):
    """What the answer must show. Keys are offer IRIs unless said otherwise."""

    top: list[str] = Field(default_factory=list, description="supplier IRIs; one ranks top 3")
    status: dict[str, Status] = Field(default_factory=dict)
    missing_role: dict[str, str | list[str]] = Field(
        default_factory=dict, description="role slug, or a list of acceptable ones"
    )
    reason: dict[str, str] = Field(default_factory=dict, description="reason code of the loop")
    partners: dict[str, int] = Field(default_factory=dict)
    strategy: dict[str, str | None] = Field(
        default_factory=dict, description="slug of the credited strategy; null for none"
    )
    partial: dict[str, bool] = Field(default_factory=dict)
    shortfall: dict[str, float] = Field(default_factory=dict, description="per year, ±0.5")
    distance_km: dict[str, float] = Field(default_factory=dict, description="±1 km")
    via: dict[str, list[str]] = Field(
        default_factory=dict, description="organisations on the chain's steps"
    )
    notes: dict[str, list[str]] = Field(default_factory=dict, description="note codes")
    change: dict[str, Change] = Field(default_factory=dict)
    excluded: list[str] = Field(default_factory=list, description="offers not among the chains")
    order: list[str] = Field(default_factory=list, description="offers in this relative order")
    same_supplier: list[tuple[str, str]] = Field(
        default_factory=list, description="two offers counted as one supplier (diversity)"
    )
    buyer: str | None = Field(
        None, description="the organisation every buyer step names; null: none"
    )
    error: Literal[422] | None = None


class CaseSpec(_Strict):
    """One case as written in a case file."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    rule: str
    source: Literal["scenario", "market", "seed"]
    scenario: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    twice: bool = False
    today: date = EVAL_DAY
    why: str | None = None
    request: dict[str, Any]
    expect: Expect

    @field_validator("rule", mode="before")
    @classmethod
    def _rule(cls, value: object) -> str:
        text = str(value)
        if text not in KINDS:
            raise ValueError(f"rule must be one of {', '.join(KINDS)}, not {value!r}")
        return text

    @model_validator(mode="after")
    def _scenario(self) -> CaseSpec:
        if (self.source == "scenario") != (self.scenario is not None):
            raise ValueError("a case has a scenario exactly when its source is 'scenario'")
        if self.twice and self.scenario is None:
            raise ValueError("twice: true loads a scenario twice; name the scenario")
        if self.scenario is not None and not (SCENARIOS_DIR / f"{self.scenario}.ttl").is_file():
            raise ValueError(f"no scenario file {self.scenario}.ttl in {SCENARIOS_DIR}")
        return self


@dataclass(frozen=True)
class Case:
    """A case ready to run: IRIs written relative to its scenario made absolute."""

    name: str
    rule: str
    source: str
    file: Path
    scenario: Path | None
    twice: bool
    today: date
    request: dict[str, Any]
    expect: Expect
    why: str | None = None

    @property
    def is_rule(self) -> bool:
        """Whether it checks one of the verdict's rules (1-11)."""
        return self.rule in RULES


def scenario_iri(scenario: str, name: str) -> str:
    """``name`` as an IRI of ``scenario`` (an absolute IRI is left as it is).

    >>> scenario_iri("tiers", "offer-open")
    'https://example.org/kringloop/eval/tiers/offer-open'
    """
    return name if "://" in name else f"{SCENARIO_BASE}{scenario}/{name}"


def _absolute(spec: CaseSpec) -> tuple[Expect, dict[str, Any]]:
    scenario = spec.scenario

    def iri(name: str) -> str:
        if scenario is not None:
            return scenario_iri(scenario, name)
        if "://" not in name:
            raise ValueError(f"{name!r} is not an IRI (relative names need a scenario)")
        return name

    def keys(mapping: dict[str, Any]) -> dict[str, Any]:
        return {iri(k): v for k, v in mapping.items()}

    e = spec.expect
    update: dict[str, Any] = {
        "top": [iri(x) for x in e.top],
        "excluded": [iri(x) for x in e.excluded],
        "order": [iri(x) for x in e.order],
        "same_supplier": [(iri(a), iri(b)) for a, b in e.same_supplier],
        "via": {iri(k): [iri(x) for x in v] for k, v in e.via.items()},
        **{
            name: keys(getattr(e, name))
            for name in (
                "status",
                "missing_role",
                "reason",
                "partners",
                "strategy",
                "partial",
                "shortfall",
                "distance_km",
                "notes",
                "change",
            )
        },
    }
    if e.buyer is not None:  # only when given: a null buyer means "no organisation"
        update["buyer"] = iri(e.buyer)
    expect = e.model_copy(update=update)
    request = dict(spec.request)
    if scenario is not None and isinstance(request.get("requester"), str):
        request["requester"] = scenario_iri(scenario, request["requester"])
    return expect, request


def _problem(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}" for e in err.errors()
    )


def load_file(path: Path) -> list[Case]:
    """The cases of one case file; an error names the file and the case."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read the evaluation cases {path}: {err}") from err
    if not isinstance(raw, list):
        raise ConfigError(
            f"{path}: a case file is a list of cases", hint="start each with '- name:'"
        )
    cases = []
    for position, item in enumerate(raw, start=1):
        label = item.get("name", f"#{position}") if isinstance(item, dict) else f"#{position}"
        try:
            spec = CaseSpec.model_validate(item)
            expect, request = _absolute(spec)
        except (ValidationError, ValueError) as err:
            detail = _problem(err) if isinstance(err, ValidationError) else str(err)
            raise ConfigError(
                f"{path}: case {label!r}: {detail}",
                hint="the case format is in data/eval/README.md",
            ) from err
        cases.append(
            Case(
                name=spec.name,
                rule=spec.rule,
                source=spec.source,
                file=path,
                scenario=None if spec.scenario is None else SCENARIOS_DIR / f"{spec.scenario}.ttl",
                twice=spec.twice,
                today=spec.today,
                request=request,
                expect=expect,
                why=spec.why,
            )
        )
    return cases


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    """Every case of every case file in ``folder`` (``*.yaml``, in name order); names are
    unique across files."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ConfigError(f"no evaluation cases (*.yaml) in {folder}")
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    for path in files:
        for case in load_file(path):
            if case.name in seen:
                raise ConfigError(
                    f"{path}: case {case.name!r}: the name is taken by a case in {seen[case.name]}"
                )
            seen[case.name] = path
            cases.append(case)
    return cases
