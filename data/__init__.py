"""Knowledge shipped with kringloop: code lists, CPV, places, seed and illustrative market."""

from importlib.resources import files
from pathlib import Path

DATA_DIR = Path(str(files(__name__)))
