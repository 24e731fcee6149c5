"""The SPARQL stages of matchmaking and loop analysis, one ``.rq`` file per stage.

Each file carries a grlc-style ``#+`` header; its parameters (``?_name``) are bound as RDF
terms (a list parameter as a VALUES block of terms) and never pasted into the text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from kringloop.graph.errors import ConfigError

STAGES_DIR = Path(__file__).parent
_PARAM = re.compile(r"\?_([A-Za-z][A-Za-z0-9]*)")


@cache
def stage(name: str) -> str:
    """The text of the stage query ``name``, checked: a summary, and every ``?_param`` declared.

    >>> "kl:itemOffered" in stage("loop-supply")
    True
    """
    path = STAGES_DIR / f"{name}.rq"
    if not path.is_file():
        raise ConfigError(f"no stage query {name!r} in {STAGES_DIR}")
    text = path.read_text(encoding="utf-8")
    header = "\n".join(line[2:] for line in text.splitlines() if line.startswith("#+"))
    meta = yaml.safe_load(header) or {}
    if not isinstance(meta, dict) or not meta.get("summary"):
        raise ConfigError(f"{path}: the #+ header needs a summary")
    declared = set((meta.get("parameters") or {}).keys())
    used = set(_PARAM.findall(text))
    if declared != used:
        raise ConfigError(
            f"{path}: parameters declared {sorted(declared)} but used {sorted(used)}",
            hint="declare every ?_name in the #+ parameters header",
        )
    return text
