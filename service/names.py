"""What the pages call the resources of the graph, in the page's language.

A resource is named by its label in the page's language (or its untagged label: the names of
organisations and places). A resource labelled only in another language is described from
its facts instead, with words of the page's language: a flow as "flow of office chairs from
A to B", a processing offer as "take-back offer of A", a claim by its scheme (the same naming
as the graph pages, `kringloop.queries.visual.model.thing`). Code-list
values (business models, strategies, roles...) take the code list's label. Facts are read
once for all the resources of a page (`kringloop.queries.visual.load_facts`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kringloop.graph.store import Store
from kringloop.queries import codes
from kringloop.queries.visual import Facts, kind_of, load_facts, local_name
from kringloop.queries.visual.model import RDF_TYPE, Value, own_label, process_word, thing
from kringloop.service.i18n import Words, label_order

KL = "https://w3id.org/kringloop/ns#"


class Names:
    """Names of the resources of one page, in one language."""

    def __init__(self, store: Store, iris: Iterable[str], t: Words) -> None:
        self.t = t
        self.language = t.language
        self.order = label_order(t.language)
        self.lists = codes.code_lists(store)
        self.facts: dict[str, Facts] = load_facts(store, iris)

    def add(self, store: Store, iris: Iterable[str]) -> None:
        """Read the facts of more resources."""
        missing = [i for i in iris if i not in self.facts]
        if missing:
            self.facts.update(load_facts(store, missing))

    # -- labels -------------------------------------------------------------------------------

    def label(self, iri: str | None) -> str:
        """The label in the first language of the page's order that has one (else the
        resource's local name)."""
        if not iri:
            return ""
        for code_list in self.lists.lists.values():
            if iri in code_list.codes:
                return code_list.codes[iri].label(self.language)
        found = self.facts.get(iri)
        return (found.label(self.order) if found else None) or local_name(iri)

    def own(self, iri: str) -> str | None:
        """The label in the page's language or without a language, if there is one."""
        return own_label(self.facts.get(iri), self.language)

    def code(self, iri: str | None) -> str:
        """The label of a code-list value (its slug when no list has it)."""
        return self.lists.label(iri, self.language) if iri else ""

    def value_label(self, value: Value) -> str:
        """The label of an IRI value of a fact, in the page's order."""
        if value.iri:
            for code_list in self.lists.lists.values():
                if value.text in code_list.codes:
                    return code_list.codes[value.text].label(self.language)
        return value.shown(self.order)

    # -- facts --------------------------------------------------------------------------------

    def values(self, iri: str, prop: str) -> list[Value]:
        found = self.facts.get(iri)
        return list(found.values.get(KL + prop, ())) if found else []

    def literal(self, iri: str, prop: str) -> str | None:
        found = [v.text for v in self.values(iri, prop) if not v.iri]
        return found[0] if found else None

    def number(self, iri: str, prop: str) -> float | None:
        value = self.literal(iri, prop)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    def link(self, iri: str, prop: str) -> str | None:
        found = sorted(v.text for v in self.values(iri, prop) if v.iri)
        return found[0] if found else None

    def linked(self, iri: str, prop: str) -> str:
        """The label of what ``iri`` links to by ``prop``."""
        found = [v for v in self.values(iri, prop) if v.iri]
        return ", ".join(sorted(self.value_label(v) for v in found))

    def types(self, iri: str) -> set[str]:
        found = self.facts.get(iri)
        return {v.text for v in found.values.get(RDF_TYPE, ())} if found else set()

    def kind(self, iri: str) -> str:
        """The kind of a resource (`kringloop.queries.visual.kind_of`)."""
        return kind_of(self.types(iri))

    def process(self, iri: str | None) -> str | None:
        """What a process does, in words (``take-back``), from its class."""
        return process_word(self.facts.get(iri), self.language) if iri else None

    # -- things described ----------------------------------------------------------------------

    def thing(self, iri: str) -> str:
        """What the page calls ``iri``: its own label, else a description from its facts
        (`kringloop.queries.visual.model.thing`)."""
        return thing(iri, self.facts, self.order)

    def kind_word(self, iri: str) -> str:
        """The kind of ``iri`` in words (supply offer, flow, claim...)."""
        return self.t(self.kind(iri))
