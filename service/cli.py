"""The ``kringloop`` command line: thin commands over the core.

Exit codes: 0 ok; 1 the data does not conform (or a check failed); 2 usage, configuration or
load error (bad file, bad query, missing store).
"""

from __future__ import annotations

from kringloop.service import (
    cli_backup,
    cli_eforms,
    cli_knowledge,
    cli_match,
    cli_store,
    cli_viz,
)
from kringloop.service.cli_common import app

__all__ = [
    "app",
    "cli_backup",
    "cli_eforms",
    "cli_knowledge",
    "cli_match",
    "cli_store",
    "cli_viz",
    "main",
]


def main() -> None:
    """Entry point of the ``kringloop`` script."""
    app(prog_name="kringloop")


if __name__ == "__main__":
    main()
