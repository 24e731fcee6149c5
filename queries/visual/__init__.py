"""Graphs to draw: node and edge lists with positions, labels in the reader's language and
plain-text tooltips, for the graph pages (`kringloop.service.viz` renders them).

The package holds the model (`model`: `VizGraph`, facts about resources, kinds, roles, words
in en/nl/fr, the cap), the layout (`layout`) and the neighbourhood of a resource
(`neighbourhood`); `kringloop.queries.visual_chains` draws matched chains and the loop census
with the same parts. No web framework and no pyvis here.

A neighbourhood is read level by level: one batch of queries per level with the frontier
bound as a list (``viz-hop`` and the ``viz-hop-*`` queries), then one batch for what the page
shows about the nodes (``viz-nodes`` and ``viz-node-*``), one for the labels of the values
they link to and one for the names of their properties (both ``viz-labels``, each term once),
each query binding at most `model.CHUNK` resources as a VALUES block. A page that only names
a resource (the loop page's offers, product types and regions) reads less about it
(``viz-names``, `load_names`). Positions are computed here with networkx and a fixed seed, in
the page's node order, so the browser draws with physics off and the same graph looks the
same.

The batched queries are written for pyoxigraph's planner: a flat join that starts from the
bound resources, with BINDs last, and UNIONs of single triple patterns only. A join inside a
UNION branch, or a BIND between patterns, made it join from the whole store once per bound
resource (60 ms per resource at 100k triples, about 1 s at 1M), which is why the links
through sites, roles, compositions, memberships and steps are queries of their own.
"""

from kringloop.queries.visual.layout import SPACING, layout, rings, to_canvas
from kringloop.queries.visual.model import (
    DEFAULT_CAP,
    HARD_LIMIT,
    KINDS,
    KL,
    LANGUAGES,
    ROLES,
    Facts,
    VizEdge,
    VizError,
    VizGraph,
    VizNode,
    describe,
    kind_of,
    load_facts,
    load_names,
    local_name,
    main_role,
    make_node,
    pick,
    shorten,
    term_labels,
    thing,
    word,
)
from kringloop.queries.visual.neighbourhood import Filters, neighbourhood

__all__ = [
    "DEFAULT_CAP",
    "HARD_LIMIT",
    "KINDS",
    "KL",
    "LANGUAGES",
    "ROLES",
    "SPACING",
    "Facts",
    "Filters",
    "VizEdge",
    "VizError",
    "VizGraph",
    "VizNode",
    "describe",
    "kind_of",
    "layout",
    "load_facts",
    "load_names",
    "local_name",
    "main_role",
    "make_node",
    "neighbourhood",
    "pick",
    "rings",
    "shorten",
    "term_labels",
    "thing",
    "to_canvas",
    "word",
]
