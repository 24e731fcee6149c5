"""What a buyer asks for: the matchmaking request and the weights of the score components."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pyoxigraph as ox
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The score components, in the order they are reported.
COMPONENTS = (
    "product_fit",
    "circularity",
    "distance",
    "quantity",
    "timing",
    "certification",
    "tco",
    "impact",
    "confidence",
)


class Weights(BaseModel):
    """How much each score component counts (0 removes its influence)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    product_fit: float = Field(1.0, ge=0, le=10)
    circularity: float = Field(1.5, ge=0, le=10)
    distance: float = Field(1.0, ge=0, le=10)
    quantity: float = Field(0.8, ge=0, le=10)
    timing: float = Field(0.5, ge=0, le=10)
    certification: float = Field(0.7, ge=0, le=10)
    tco: float = Field(1.0, ge=0, le=10)
    impact: float = Field(0.6, ge=0, le=10)
    confidence: float = Field(0.4, ge=0, le=10)

    def of(self, name: str) -> float:
        value = getattr(self, name)
        assert isinstance(value, float)
        return value

    @property
    def total(self) -> float:
        return sum(self.of(n) for n in COMPONENTS)

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if self.total <= 0:
            raise ValueError(
                "at least one weight must be above 0: with every weight 0 every score is 0 "
                "and the ranking means nothing"
            )
        return self


class MatchRequest(BaseModel):
    """A buyer's request: what, how many, where, when, and which kinds of loop are acceptable."""

    # strict: a value of another JSON type than the schema's (0 for false, "40" for 40) is
    # refused, not converted; only dates come as text
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "what": "bureaustoelen",
                    "quantity": 40,
                    "near": "Kortrijk",
                    "within_km": 50,
                    "business_models": ["lease", "product-as-a-service"],
                    "top_k": 5,
                }
            ]
        },
    )

    what: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="a CPV code (e.g. 39112000), a product-type IRI, or a label in nl/en/fr "
        "(required unless `need` names a need in the store)",
    )
    need: str | None = Field(
        None,
        max_length=500,
        description="IRI of a need in the store (e.g. an imported tender lot): product, place, "
        "quantity, dates and buyer come from it; fields given here override them",
        json_schema_extra={"format": "iri"},
    )
    quantity: float | None = Field(
        None,
        gt=0,
        le=1e9,
        description="how many (in `unit`); without it, minimum orders and processor capacity "
        "are not checked",
    )
    unit: str = Field("piece", max_length=40, description="unit of the quantity")
    near: str | None = Field(None, max_length=120, description="a place name or postcode")
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    within_km: float = Field(50, gt=0, le=1000, description="maximum distance to the supplier")
    needed_by: date | None = Field(
        None, strict=False, description="when the buyer needs it (YYYY-MM-DD)"
    )
    period_months: int | None = Field(None, gt=0, le=600, description="how long it is needed")
    business_models: list[str] = Field(
        default_factory=list, max_length=20, description="accepted business models (slugs or IRIs)"
    )
    strategies: list[str] = Field(
        default_factory=list, max_length=10, description="strategies the chain must include"
    )
    max_r_rank: int | None = Field(
        None, ge=0, le=9, description="highest acceptable R-rank of what the chain guarantees"
    )
    rank_overrides: dict[str, Annotated[int, Field(ge=0, le=9)]] = Field(
        default_factory=dict,
        max_length=20,
        description="strategy slug → R-rank, replacing the code list's rank",
    )
    certifications: list[str] = Field(
        default_factory=list, max_length=10, description="required certification schemes"
    )
    tco_years: float = Field(5, gt=0, le=50, description="total-cost-of-ownership horizon")
    weights: Weights = Field(default_factory=Weights)
    top_k: int = Field(5, ge=1, le=50)
    partial: bool = Field(True, description="welcome offers that cover only part of the quantity")
    requester: str | None = Field(
        None,
        max_length=500,
        description="IRI of the requesting organisation",
        json_schema_extra={"format": "iri"},
    )
    network_surplus: bool = Field(
        False, description="also consider the internal surplus of other organisations"
    )
    include_open: bool = Field(True, description="also list chains whose loop does not close")
    rank_by: Literal["tier", "score"] = Field(
        "tier",
        description="tier: closed loops first, then promised, then open, by score within each; "
        "score: by score alone",
    )
    save: bool = Field(False, description="store the match as a PROV record")

    @field_validator("needed_by", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        """A date as YYYY-MM-DD text (or a date), not a number of seconds since 1970."""
        if value is not None and not isinstance(value, str | date):
            raise ValueError("needed_by must be a date as YYYY-MM-DD")
        return value

    @field_validator("requester", "need")
    @classmethod
    def _iri(cls, value: str | None) -> str | None:
        """The requester and the need are looked up as IRIs: refuse anything else here, not
        in a query."""
        if value is not None:
            try:
                ox.NamedNode(value)
            except ValueError as err:
                raise ValueError(f"must be an absolute IRI: {err}") from None
        return value

    @model_validator(mode="after")
    def _where(self) -> MatchRequest:
        if (self.lat is None) != (self.long is None):
            raise ValueError("give both lat and long, or neither")
        if self.need is not None:
            return self  # what and where may come from the need
        if self.what is None:
            raise ValueError("say what: a product type, CPV code or label, or a need (its IRI)")
        if self.near is None and self.lat is None and self.requester is None:
            raise ValueError("say where: near (place or postcode), lat+long, or a requester")
        return self
