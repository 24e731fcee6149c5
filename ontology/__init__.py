"""The kringloop vocabulary, its reasoning axioms, SHACL shapes and quality checks (as files)."""

from importlib.resources import files
from pathlib import Path

ONTOLOGY_DIR = Path(str(files(__name__)))
