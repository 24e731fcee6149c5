"""The kinds of process a way back can pass, the role each gives its organisation and the rung
of the 10R ladder each realises.

Ranks are data (``kl:rRank`` of the strategies, and a request may override them); the rung a
process class realises when its offer names no strategy is the one fixed here.
"""

from __future__ import annotations

KL = "https://w3id.org/kringloop/ns#"
ID = "https://w3id.org/kringloop/id/"
STRATEGY = ID + "strategy/"

#: The process classes a processing offer may perform, and the role that makes its organisation.
PROCESS_ROLE: dict[str, str] = {
    KL + "TakeBack": "collector",
    KL + "Collection": "collector",
    KL + "Repair": "repairer",
    KL + "Refurbishment": "refurbisher",
    KL + "Remanufacturing": "remanufacturer",
    KL + "Recycling": "recycler",
    KL + "Composting": "composter",
    KL + "AnaerobicDigestion": "composter",
    KL + "Cascading": "recycler",
}
PROCESS_CLASSES = tuple(PROCESS_ROLE)

#: The strategy a process realises when its offer names none (take-back and collection realise
#: none of their own: what happens next does).
PROCESS_STRATEGY: dict[str, str] = {
    KL + "Repair": STRATEGY + "repair",
    KL + "Refurbishment": STRATEGY + "refurbish",
    KL + "Remanufacturing": STRATEGY + "remanufacture",
    KL + "Recycling": STRATEGY + "recycle",
    KL + "Composting": STRATEGY + "recycle",
    KL + "AnaerobicDigestion": STRATEGY + "recycle",
    KL + "Cascading": STRATEGY + "recycle",
}
#: Processes of the biological cycle.
BIOLOGICAL_PROCESSES = frozenset({KL + "Composting", KL + "AnaerobicDigestion", KL + "Cascading"})

REUSE = STRATEGY + "reuse"
RECYCLE = STRATEGY + "recycle"
REFUSE = STRATEGY + "refuse"

#: Ranks of the strategies as the code list gives them (used when a store has none).
DEFAULT_RANKS: dict[str, int] = {
    STRATEGY + slug: rank
    for rank, slug in enumerate(
        [
            "refuse",
            "rethink",
            "reduce",
            "reuse",
            "repair",
            "refurbish",
            "remanufacture",
            "repurpose",
            "recycle",
            "recover",
        ]
    )
}

LEASE_MODELS = frozenset(
    {
        ID + "business-model/lease",
        ID + "business-model/product-as-a-service",
        ID + "business-model/pay-per-use",
    }
)
BIOLOGICAL_CYCLE = ID + "cycle/biological"
PIECES = "http://qudt.org/vocab/unit/NUM"
KILOGRAMS = "http://qudt.org/vocab/unit/KiloGM"


def role_of(process_class: str) -> str:
    """The role an organisation plays by performing a process of ``process_class``.

    >>> role_of(KL + "Refurbishment")
    'refurbisher'
    """
    return PROCESS_ROLE.get(process_class, "collector")
