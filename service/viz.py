"""The graph pages as HTML: a pyvis ``Network`` of the node and edge lists of
`kringloop.queries.visual`, drawn by vis-network (the copy pyvis bundles), fully offline and
escaped.

pyvis builds the network (nodes, edges, options) and renders it, but through kringloop's own
template, not pyvis's: that one loads bootstrap from a CDN, does not escape its heading,
switches tooltips to ``innerHTML`` when a title contains "href", and its loading bar swallows
clicks. The page here is a Jinja2 template with autoescaping; the data travels as JSON in a
``<script type="application/json">`` block (``<``, ``>`` and ``&`` escaped) and reaches the
page only through ``textContent``; tooltips are plain text (vis-network 9 sets ``innerText``).
vis-network's JS and CSS come from pyvis's bundled copy, inlined (files written by the CLI) or
served from ``/viz/lib`` (the service). A Content-Security-Policy with a per-page nonce allows
only those scripts and styles and nothing from another host.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kringloop.graph.errors import ConfigError
from kringloop.queries.visual import ROLES, VizGraph, word

SERVICE_DIR = Path(__file__).resolve().parent
PAGE_DIR = SERVICE_DIR / "static" / "viz"
#: Where the service serves vis-network's files (see `routes_viz`).
ASSET_BASE = "/viz/lib"
ASSETS = {"vis-network.min.js": "text/javascript", "vis-network.css": "text/css"}
VIS_VERSION = "9.1.2"

#: Colours of organisations by role (Okabe-Ito first: readable with colour blindness).
ROLE_COLOURS = {
    "producer": "#0072B2",
    "supplier": "#009E73",
    "buyer": "#E69F00",
    "user": "#F0E442",
    "collector": "#56B4E9",
    "repairer": "#CC79A7",
    "refurbisher": "#D55E00",
    "remanufacturer": "#8C564B",
    "recycler": "#17BECF",
    "sharing-platform": "#BCBD22",
    "facilitator": "#9467BD",
}
#: Shapes and colours of everything that is not an organisation with a role, by kind.
KIND_STYLES: dict[str, tuple[str, str]] = {
    "organisation": ("dot", "#B8BEC6"),
    "offer": ("square", "#9ECAE1"),
    "processing-offer": ("triangleDown", "#FDAE6B"),
    "product-type": ("diamond", "#A1D99B"),
    "category": ("diamond", "#E5F5E0"),
    "process": ("hexagon", "#DADAEB"),
    "flow": ("triangle", "#BCBDDC"),
    "place": ("star", "#FDD0A2"),
    "region": ("star", "#FEE6CE"),
    "material": ("diamond", "#D9D9D9"),
    "claim": ("square", "#F2F0F7"),
    "need": ("triangle", "#FDD49E"),
    "chain": ("hexagon", "#C7E9C0"),
    "match": ("hexagon", "#EFEDF5"),
    "batch": ("square", "#FFF7BC"),
    "project": ("triangle", "#D4B9DA"),
    "network": ("star", "#CBC9E2"),
    "concept": ("dot", "#EEEEEE"),
    "other": ("dot", "#FFFFFF"),
    "buyers": ("dot", ROLE_COLOURS["buyer"]),
}
EDGE_STYLES: dict[str, dict[str, Any]] = {
    "link": {"color": {"color": "#A3AAB2", "highlight": "#4A5560"}, "width": 1},
    "flow": {"color": {"color": "#6B6ECF", "highlight": "#393B79"}, "width": 1.5},
    "step": {"color": {"color": "#4A5560", "highlight": "#1D2329"}, "width": 2},
    "closing": {"color": {"color": "#1A9641", "highlight": "#0B5D24"}, "width": 5},
    "open": {"color": {"color": "#D62728", "highlight": "#A50F15"}, "width": 2, "dashes": [8, 6]},
}

#: The words of the page itself, in en / nl / fr.
TEXT: dict[str, tuple[str, str, str]] = {
    "panel": ("Details", "Details", "Détails"),
    "hint": (
        "Click a node to see its properties.",
        "Klik op een knoop om zijn eigenschappen te zien.",
        "Cliquez sur un nœud pour voir ses propriétés.",
    ),
    "legend": ("Legend", "Legende", "Légende"),
    "roles": ("Organisations by role", "Organisaties per rol", "Organisations par rôle"),
    "kinds": ("Other resources by kind", "Andere bronnen per soort", "Autres ressources par type"),
    "edges": ("Links", "Verbindingen", "Liens"),
    "link": ("link", "verband", "lien"),
    "flow": (
        "material or product flow",
        "materiaal- of productstroom",
        "flux de matière ou de produit",
    ),
    "step": ("chain step (numbered)", "ketenstap (genummerd)", "étape de la chaîne (numérotée)"),
    "closing": (
        "flow that closes the loop",
        "stroom die de kringloop sluit",
        "flux qui ferme la boucle",
    ),
    "open": (
        "missing link (loop open)",
        "ontbrekende schakel (kringloop open)",
        "lien manquant (boucle ouverte)",
    ),
    "missing": ("missing role", "ontbrekende rol", "rôle manquant"),
    "caption": ("chain summary", "samenvatting van de keten", "résumé de la chaîne"),
    "ld": ("Linked-data page", "Linked-datapagina", "Page de données liées"),
    "recentre": ("Re-centre here", "Hier centreren", "Recentrer ici"),
    "cap": (
        "showing {shown} of {total} nodes — narrow the filter",
        "{shown} van {total} knopen getoond — verfijn de filter",
        "{shown} nœuds affichés sur {total} — affinez le filtre",
    ),
    "more-than": ("more than {}", "meer dan {}", "plus de {}"),
    "counts": ("{} nodes, {} links", "{} knopen, {} verbindingen", "{} nœuds, {} liens"),
    "home": ("kringloop start page", "kringloop-startpagina", "page d'accueil de kringloop"),
    "back": ("Back to the page", "Terug naar de pagina", "Retour à la page"),
    "nav": ("Language", "Taal", "Langue"),
}
_LANGUAGES = ("en", "nl", "fr")


def say(key: str, language: str) -> str:
    """A word of the page chrome in ``language`` (English when unknown)."""
    forms = TEXT[key]
    return forms[_LANGUAGES.index(language)] if language in _LANGUAGES else forms[0]


def number(value: int, language: str) -> str:
    """An integer with the language's thousands separator.

    >>> number(12000, "en"), number(12000, "nl"), number(12000, "fr")
    ('12,000', '12.000', '12\\u202f000')
    """
    grouped = f"{value:,}"
    return {"nl": grouped.replace(",", "."), "fr": grouped.replace(",", "\u202f")}.get(
        language, grouped
    )


# -- vis-network, from pyvis's bundled copy ----------------------------------------------------


def vis_dir() -> Path:
    """The folder of the vis-network build that pyvis ships (pyvis itself is not imported)."""
    spec = importlib.util.find_spec("pyvis")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "pyvis is not installed", hint="pip install kringloop (it depends on pyvis)"
        )
    folder = Path(spec.origin).parent / "templates" / "lib" / f"vis-{VIS_VERSION}"
    if not folder.is_dir():
        raise ConfigError(
            f"no vis-network {VIS_VERSION} in {folder.parent}", hint="pin pyvis==0.3.2"
        )
    return folder


@cache
def asset(name: str) -> str:
    """The text of one vis-network file, without its source-map comment (nothing to fetch)."""
    if name not in ASSETS:
        raise ConfigError(f"no vis-network asset {name!r}")
    body = (vis_dir() / name).read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/", "", body)


@cache
def _page_file(name: str) -> str:
    return (PAGE_DIR / name).read_text(encoding="utf-8")


# -- security ----------------------------------------------------------------------------------


def content_security_policy(nonce: str, *, inline: bool, meta: bool = False) -> str:
    """Scripts and styles of this page only (by nonce, and this host's ``/viz/lib`` files when
    they are not inlined); nothing from another host. ``meta``: the form for a ``<meta>`` tag
    (``frame-ancestors`` is only allowed in the header)."""
    own = "" if inline else "'self' "
    parts = [
        "default-src 'none'",
        f"script-src {own}'nonce-{nonce}'",
        f"style-src {own}'nonce-{nonce}'",
        f"img-src {own}data:",
        "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if not meta:
        parts.append("frame-ancestors 'none'")
    return "; ".join(parts)


def security_headers(nonce: str) -> dict[str, str]:
    """The headers of a served graph page."""
    return {
        "Content-Security-Policy": content_security_policy(nonce, inline=False),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def script_json(value: object) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>``).

    >>> print(script_json({"label": "</script>&"}))
    {"label": "\\u003c/script\\u003e\\u0026"}
    """
    body = json.dumps(value, ensure_ascii=False)
    return body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- the page ----------------------------------------------------------------------------------


def vis_options(graph: VizGraph) -> dict[str, Any]:
    """vis-network options: positions from the server, physics off, straight edges, colours
    through groups (per-node colours get lost in large graphs)."""
    groups: dict[str, Any] = {}
    for key in sorted({n.group for n in graph.nodes}):
        groups[key] = _group_style(key)
    large = len(graph.nodes) > 1000
    return {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "nodes": {
            "size": 14,
            "font": {
                "size": 14,
                "face": "system-ui, sans-serif",
                "color": "#1d2329",
                "strokeWidth": 4,
                "strokeColor": "#ffffff",
            },
            # long names wrap under the node instead of being cut
            "widthConstraint": {"maximum": 170},
        },
        "edges": {
            "smooth": False,
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "font": {"size": 12, "align": "horizontal", "strokeWidth": 4, "color": "#1d2329"},
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": large,
            "hideEdgesOnZoom": large,
            "multiselect": False,
        },
        "groups": groups,
    }


def _group_style(key: str) -> dict[str, Any]:
    kind, _, name = key.partition(":")
    if kind == "role":
        return {"shape": "dot", "color": _colour(ROLE_COLOURS.get(name, "#B8BEC6"), "#2F3640")}
    if key == "missing":
        return {
            "shape": "box",
            "color": _colour("#FDE0E0", "#D62728"),
            "font": {"color": "#A50F15"},
            "shapeProperties": {"borderDashes": [6, 4]},
            "borderWidth": 2,
        }
    if key == "caption":  # the size follows the nodes' (readable at every zoom)
        return {"shape": "text", "font": {"color": "#1D2329"}}
    shape, colour = KIND_STYLES.get(name, KIND_STYLES["other"])
    style: dict[str, Any] = {"shape": shape, "color": _colour(colour, "#5F6B76")}
    if name == "buyers":
        style["shapeProperties"] = {"borderDashes": [4, 3]}
        style["borderWidth"] = 2
    return style


def _colour(background: str, border: str) -> dict[str, Any]:
    """A group colour that stays the same when selected or hovered (only the border darkens)."""
    same = {"background": background, "border": "#111111"}
    return {"background": background, "border": border, "highlight": same, "hover": same}


def _links(iri: str | None, *, base: str, language: str) -> list[list[str]]:
    if not iri or "://" not in iri:
        return []
    return [
        [say("ld", language), f"{base}/resource?" + urlencode({"iri": iri, "lang": language})],
        [
            say("recentre", language),
            f"{base}/viz/neighbourhood?" + urlencode({"iri": iri, "depth": 2, "lang": language}),
        ],
    ]


def page_data(graph: VizGraph, *, base: str = "") -> dict[str, Any]:
    """What the page script draws: nodes and edges in vis-network's format, the options."""
    language = graph.language
    nodes = []
    for n in graph.nodes:
        x, y = graph.positions.get(n.id, (0.0, 0.0))
        narrow = graph.narrow.get(n.id)
        nodes.append(
            {
                "id": n.id,
                "label": n.label,
                "title": n.title,
                "group": n.group,
                "x": x,
                "y": y,
                "kind": n.kind,
                "iri": n.iri,
                "facts": [list(f) for f in n.facts],
                "links": _links(n.iri, base=base, language=language),
                **({"narrow": list(narrow)} if narrow else {}),
            }
        )
    labels = len(graph.edges) <= 120 or graph.kind != "neighbourhood"
    # Chains read as loops when their edges bend; big graphs keep straight edges (faster).
    curved = graph.kind in ("match", "loops") and len(graph.edges) <= 1000
    edges = []
    for i, e in enumerate(graph.edges):
        edge: dict[str, Any] = {"id": f"e{i}", "from": e.source, "to": e.target, "style": e.style}
        edge.update(EDGE_STYLES.get(e.style, EDGE_STYLES["link"]))
        if curved and e.style in ("step", "closing", "open"):
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": 0.2}
        if e.label and labels:
            edge["label"] = e.label
        if e.title:
            edge["title"] = e.title
        edges.append(edge)
    return {
        "nodes": nodes,
        "edges": edges,
        "options": vis_options(graph),
        "centre": graph.centre,
        "base": base,
        "sent": {"nodes": len(nodes), "edges": len(edges)},
    }


@dataclass(frozen=True)
class LegendItem:
    key: str
    label: str
    icon: str


def legend(graph: VizGraph) -> list[dict[str, Any]]:
    """The legend sections for the groups and edge styles this graph uses."""
    language = graph.language
    groups = {n.group for n in graph.nodes}
    roles = [
        LegendItem(f"role:{r}", word(r, language), _icon("dot", ROLE_COLOURS[r]))
        for r in ROLES
        if f"role:{r}" in groups
    ]
    kinds = []
    for kind, (shape, colour) in KIND_STYLES.items():
        if f"kind:{kind}" in groups:
            kinds.append(LegendItem(f"kind:{kind}", word(kind, language), _icon(shape, colour)))
    if "missing" in groups:
        kinds.append(LegendItem("missing", say("missing", language), _icon("box", "#FDE0E0")))
    if "caption" in groups:
        kinds.append(LegendItem("caption", say("caption", language), _icon("text", "#1D2329")))
    styles = {e.style for e in graph.edges}
    edges = [
        LegendItem(f"edge:{s}", say(s, language), _line(s))
        for s in ("link", "flow", "step", "closing", "open")
        if s in styles
    ]
    sections = [
        (say("roles", language), roles),
        (say("kinds", language), kinds),
        (say("edges", language), edges),
    ]
    return [{"title": title, "items": items} for title, items in sections if items]


def _icon(shape: str, colour: str) -> str:
    """A small SVG of a node shape (the colour is one of ours, not data)."""
    fill = html.escape(colour)
    forms = {
        "dot": '<circle cx="8" cy="8" r="6"/>',
        "square": '<rect x="2" y="2" width="12" height="12"/>',
        "box": '<rect x="1" y="4" width="14" height="8" rx="2" stroke-dasharray="3 2"/>',
        "diamond": '<polygon points="8,1 15,8 8,15 1,8"/>',
        "triangle": '<polygon points="8,1 15,14 1,14"/>',
        "triangleDown": '<polygon points="1,2 15,2 8,15"/>',
        "hexagon": '<polygon points="4,2 12,2 15,8 12,14 4,14 1,8"/>',
        "star": '<polygon points="8,1 10,6 15,6 11,9 13,15 8,11 3,15 5,9 1,6 6,6"/>',
        "text": '<text x="3" y="13" font-size="13" font-weight="bold" stroke="none">T</text>',
    }
    return (
        f'<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" fill="{fill}" '
        f'stroke="#2F3640" stroke-width="1">{forms.get(shape, forms["dot"])}</svg>'
    )


def _line(style: str) -> str:
    spec = EDGE_STYLES[style]
    colour = html.escape(str(spec["color"]["color"]))
    dash = ' stroke-dasharray="5 3"' if spec.get("dashes") else ""
    width = min(float(spec["width"]), 4.0)
    return (
        f'<svg width="28" height="10" viewBox="0 0 28 10" aria-hidden="true">'
        f'<line x1="1" y1="5" x2="27" y2="5" stroke="{colour}" stroke-width="{width}"{dash}/></svg>'
    )


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(SERVICE_DIR / "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


TEMPLATES = _environment()


def network(graph: VizGraph, *, base: str = "") -> Any:
    """The pyvis ``Network`` of ``graph``: its nodes, edges and options.

    Nodes and edges are appended to ``net.nodes`` and ``net.edges`` (``add_node`` and
    ``add_edge`` check every earlier node: quadratic), with positions computed on the server;
    colours go through ``groups`` (per-node colours get lost in large graphs)."""
    from pyvis.network import Network

    data = page_data(graph, base=base)
    net = Network(directed=True, heading=graph.title, cdn_resources="in_line")
    net.nodes = data["nodes"]
    net.edges = data["edges"]
    net.options = data["options"]
    return net


class _Page:
    """The template pyvis renders through (``net.templateEnv``, ``net.path``): kringloop's own
    page, escaped, with pyvis's nodes, edges and options in a JSON block (pyvis's template
    loads scripts from a CDN and does not escape its heading)."""

    def __init__(self, graph: VizGraph, context: dict[str, Any], base: str) -> None:
        self.graph = graph
        self.context = context
        self.base = base

    def get_template(self, name: str) -> _Page:
        return self

    def render(self, **values: Any) -> str:
        data = {
            "nodes": values["nodes"],
            "edges": values["edges"],
            "options": json.loads(values["options"]),
            "centre": self.graph.centre,
            "base": self.base,
            "sent": {"nodes": len(values["nodes"]), "edges": len(values["edges"])},
        }
        context = {**self.context, "title": values["heading"], "data": script_json(data)}
        return TEMPLATES.get_template("viz.html").render(**context)


def render(
    graph: VizGraph,
    *,
    nonce: str | None = None,
    inline: bool = True,
    base: str = "",
    switch: Sequence[Any] = (),
    back: str | None = None,
) -> str:
    """The page for ``graph``, built as a pyvis ``Network`` (`network`) and rendered through
    kringloop's template: vis-network inlined (``inline``) or from ``/viz/lib``; links to
    linked-data pages and neighbourhoods under ``base`` ("" for this host); ``switch`` the
    language links, ``back`` a link to the page the graph belongs to."""
    nonce = nonce or new_nonce()
    language = graph.language
    cap_message = ""
    if graph.truncated:
        total = number(graph.total, language)
        if graph.more_than:
            total = say("more-than", language).format(total)
        cap_message = say("cap", language).format(
            shown=number(len(graph.nodes), language), total=total
        )
    context: dict[str, Any] = {
        "language": language,
        "csp": content_security_policy(nonce, inline=inline, meta=True),
        "nonce": nonce,
        "inline": inline,
        "asset_base": ASSET_BASE,
        "vis_css": asset("vis-network.css") if inline else "",
        "vis_js": asset("vis-network.min.js") if inline else "",
        "page_css": _page_file("viz.css"),
        "page_js": _page_file("viz.js"),
        "counts": say("counts", language).format(
            number(len(graph.nodes), language), number(len(graph.edges), language)
        ),
        "cap_message": cap_message,
        "notes": graph.notes,
        "legend": legend(graph),
        "text": {k: say(k, language) for k in ("panel", "hint", "legend", "home", "back", "nav")},
        "switch": list(switch),
        "back": back,
        "home": f"{base}/?lang={language}",
    }
    net = network(graph, base=base)
    net.templateEnv = _Page(graph, context, base)
    net.path = "viz.html"
    html: str = net.generate_html(name="page.html")
    return html


def write(graph: VizGraph, path: Path, *, base: str = "") -> Path:
    """Write the self-contained page for ``graph`` to ``path`` (UTF-8)."""
    path.write_text(render(graph, inline=True, base=base), encoding="utf-8")
    return path


def languages_for(asked: str | None) -> Sequence[str]:
    """The languages of a page asked for in ``asked`` (en, nl or fr), English as fallback.

    >>> languages_for("NL"), languages_for("de")
    (['nl', 'en'], ['en'])
    """
    first = (asked or "").strip().lower()
    return list(dict.fromkeys([first, "en"])) if first in _LANGUAGES else ["en"]


def headers_for(language: str, nonce: str) -> Mapping[str, str]:
    return {**security_headers(nonce), "Content-Language": language, "Vary": "Accept-Language"}
