"""``kringloop viz``: the graph pages as self-contained HTML files (vis-network inlined, no
request leaves the file; links point to a running ``kringloop serve``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kringloop.service.cli_common import State, app, opened, out, parse_day, run

if TYPE_CHECKING:
    from kringloop.queries.visual import VizGraph

# The drawing and matchmaking modules (networkx, numpy, jinja) are imported by the commands
# that use them, so that every other command starts quickly.

viz_app = typer.Typer(
    help="Interactive graph pages written as HTML files that work offline.",
    no_args_is_help=True,
)
app.add_typer(viz_app, name="viz")

Out = Annotated[Path, typer.Option("--out", "-o", help="the HTML file to write")]
Lang = Annotated[str, typer.Option("--lang", help="label language: en, nl or fr")]
Cap = Annotated[
    int | None,
    typer.Option("--cap", min=1, help="draw at most this many nodes [default: 500]"),
]
Base = Annotated[
    str | None,
    typer.Option("--base-url", help="where the page links to (default: the serve address)"),
]


def _write(graph: VizGraph, path: Path, base: str | None) -> None:
    from kringloop.service import viz

    settings = State.settings
    link_base = base if base is not None else f"http://{settings.host}:{settings.port}"
    run(lambda: viz.write(graph, path, base=link_base.rstrip("/")))
    shown = f"{len(graph.nodes)} of {graph.total}" if graph.truncated else str(len(graph.nodes))
    out.print(f"wrote {path} ({shown} nodes, {len(graph.edges)} links)")


@viz_app.command("neighbourhood")
def neighbourhood(
    iri: Annotated[str, typer.Argument(help="the resource at the centre")],
    output: Out,
    depth: Annotated[int, typer.Option("--depth", min=1, max=3, help="links away")] = 1,
    role: Annotated[str | None, typer.Option("--role", help="organisations with this role")] = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="offers' strategy")] = None,
    model: Annotated[str | None, typer.Option("--model", help="offers' business model")] = None,
    category: Annotated[str | None, typer.Option("--category", help="product type")] = None,
    region: Annotated[str | None, typer.Option("--region", help="region slug or IRI")] = None,
    lang: Lang = "en",
    cap: Cap = None,
    base: Base = None,
) -> None:
    """The neighbourhood of a resource (organisation, offer, product type, category...)."""
    from kringloop.queries import visual
    from kringloop.service import viz

    filters = visual.Filters(role, strategy, model, category, region)
    with opened(read_only=True) as store:
        graph = run(
            lambda: visual.neighbourhood(
                store,
                iri,
                depth=depth,
                filters=filters,
                languages=viz.languages_for(lang),
                cap=cap or visual.DEFAULT_CAP,
            )
        )
    _write(graph, output, base)


@viz_app.command("match")
def match(
    output: Out,
    match_id: Annotated[str | None, typer.Option("--id", help="a stored match")] = None,
    what: Annotated[str | None, typer.Option("--what", help="CPV code, IRI or label")] = None,
    near: Annotated[str | None, typer.Option("--near", help="place name or postcode")] = None,
    within: Annotated[float, typer.Option("--within", help="maximum distance in km")] = 50,
    quantity: Annotated[float | None, typer.Option("--quantity", "-n", help="how many")] = None,
    top: Annotated[int, typer.Option("--top", help="how many chains")] = 5,
    lang: Lang = "en",
    base: Base = None,
) -> None:
    """The chains of a stored match (--id) or of a fresh one (--what, --near), as loops."""
    from kringloop.queries import matchmaker, visual_chains
    from kringloop.queries.request import MatchRequest
    from kringloop.service import viz

    languages = viz.languages_for(lang)
    with opened(read_only=True) as store:
        if match_id is not None:
            graph = run(lambda: visual_chains.stored_match(store, match_id, languages=languages))
        elif what is not None:
            request = run(
                lambda: MatchRequest(
                    what=what, near=near, within_km=within, quantity=quantity, top_k=top
                )
            )
            result = run(lambda: matchmaker.match(store, request))
            graph = run(lambda: visual_chains.fresh_match(store, result, languages=languages))
        else:
            raise typer.BadParameter("give --id, or --what and --near", param_hint="--id")
    _write(graph, output, base)


@viz_app.command("loops")
def loops(
    output: Out,
    category: Annotated[str | None, typer.Option("--category", help="product type")] = None,
    region: Annotated[str | None, typer.Option("--region", help="region slug or IRI")] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="judge offers as on this day (YYYY-MM-DD)")
    ] = None,
    lang: Lang = "en",
    cap: Cap = None,
    base: Base = None,
) -> None:
    """Every closed loop and every open one (with its missing role) of the loop census."""
    from kringloop.queries import visual, visual_chains
    from kringloop.service import viz

    with opened(read_only=True) as store:
        graph = run(
            lambda: visual_chains.loops_graph(
                store,
                category=category,
                region=region,
                languages=viz.languages_for(lang),
                cap=cap or visual.DEFAULT_CAP,
                today=parse_day(on),
            )
        )
    _write(graph, output, base)
