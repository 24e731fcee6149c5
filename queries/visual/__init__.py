"""Graphs to draw: node and edge lists with positions, labels in the reader's language and
plain-text tooltips, for the graph pages (`kringloop.service.viz` renders them).

The package holds the model (`model`: `VizGraph`, facts about resources, kinds, roles, words
in en/nl/fr, the cap), the layout (`layout`) and the neighbourhood of a resource
(`neighbourhood`); `kringloop.queries.visual_chains` draws matched chains and the loop census
with the same parts. No web framework and no pyvis here.

A neighbourhood is read level by level: one query per level with the frontier bound as a list
(``viz-hop``), then one query for what the page shows about the nodes (``viz-nodes``) and one
for the names of their properties (``viz-labels``). Positions are computed here with networkx
and a fixed seed, so the browser draws with physics off and the same graph looks the same.
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
