"""kringloop: a knowledge graph for circular procurement and closed-loop value chains."""

__version__ = "0.1.0"
