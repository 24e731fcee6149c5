"""Sanity checks for data/places.ttl: coordinates inside Belgium and plausible distances.

The coordinates in places.ttl are hand-curated; this script catches the usual slips (swapped
latitude and longitude, a digit too many, a town in the wrong province) by checking that every
place lies in Belgium's bounding box, has a four-digit postal code and a region, and that the
straight-line distances between some well-known pairs of towns are what a map shows.

Exit codes: 0 all checks pass, 1 a check failed, 2 the file could not be read.

    python data/scripts/check_places.py [--places PATH]
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

KL = Namespace("https://w3id.org/kringloop/ns#")
PLACE = "https://w3id.org/kringloop/id/place/"
REGION = "https://w3id.org/kringloop/id/region/"
DEFAULT_PLACES = Path(__file__).resolve().parent.parent / "places.ttl"

# Belgium's extent (WGS84), rounded outwards: 49.49-51.51 N, 2.54-6.41 E.
LAT_RANGE = (49.49, 51.51)
LONG_RANGE = (2.54, 6.41)

# Straight-line distances (km) between town centres, with the range accepted as plausible.
EXPECTED_KM: tuple[tuple[str, str, float, float], ...] = (
    ("kortrijk", "gent", 35.0, 50.0),
    ("antwerpen", "brussel", 38.0, 48.0),
    ("leuven", "brussel", 20.0, 28.0),
    ("brugge", "oostende", 18.0, 26.0),
    ("hasselt", "genk", 8.0, 15.0),
    ("gent", "zwijnaarde", 3.0, 9.0),
    ("gent", "ertvelde", 10.0, 20.0),
    ("ieper", "tongeren", 170.0, 200.0),
)


@dataclass(frozen=True)
class Place:
    """A town from places.ttl."""

    slug: str
    lat: float
    long: float
    postcode: str | None
    region: str | None


def haversine_km(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance in kilometres (mean Earth radius 6371.0088 km).

    >>> round(haversine_km(50.8277, 3.2652, 51.0543, 3.7216), 1)
    40.7
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(long2 - long1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _number(graph: Graph, subject: URIRef, predicate: URIRef) -> float | None:
    value = graph.value(subject, predicate)
    if isinstance(value, Literal) and isinstance(value.toPython(), (Decimal, float, int)):
        return float(value.toPython())
    return None


def load_places(path: Path) -> dict[str, Place]:
    """Read the kl:Place resources of a Turtle file, keyed by slug."""
    graph = Graph()
    graph.parse(path, format="turtle")
    places: dict[str, Place] = {}
    subjects = {s for s in graph.subjects(RDF.type, KL.Place) if isinstance(s, URIRef)}
    for subject in sorted(subjects):
        if not str(subject).startswith(PLACE):
            continue
        lat = _number(graph, subject, KL.lat)
        long = _number(graph, subject, KL.long)
        postcode = graph.value(subject, KL.postcode)
        region = graph.value(subject, KL.region)
        places[str(subject)[len(PLACE) :]] = Place(
            slug=str(subject)[len(PLACE) :],
            lat=lat if lat is not None else float("nan"),
            long=long if long is not None else float("nan"),
            postcode=str(postcode) if postcode is not None else None,
            region=str(region)[len(REGION) :] if region is not None else None,
        )
    return places


def check_places(places: dict[str, Place]) -> list[str]:
    """Return a list of problems; an empty list means every check passed."""
    problems: list[str] = []
    if not places:
        return ["no kl:Place found"]
    for place in places.values():
        if not LAT_RANGE[0] <= place.lat <= LAT_RANGE[1]:
            problems.append(f"{place.slug}: latitude {place.lat} outside Belgium {LAT_RANGE}")
        if not LONG_RANGE[0] <= place.long <= LONG_RANGE[1]:
            problems.append(f"{place.slug}: longitude {place.long} outside Belgium {LONG_RANGE}")
        if place.postcode is None or len(place.postcode) != 4 or not place.postcode.isdigit():
            problems.append(f"{place.slug}: postcode {place.postcode!r} is not four digits")
        if place.region is None:
            problems.append(f"{place.slug}: no kl:region")
    for one, other, low, high in EXPECTED_KM:
        if one not in places or other not in places:
            problems.append(f"distance check {one}-{other}: place missing")
            continue
        a, b = places[one], places[other]
        km = haversine_km(a.lat, a.long, b.lat, b.long)
        if not low <= km <= high:
            problems.append(f"distance {one}-{other} is {km:.1f} km, expected {low}-{high} km")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run the checks and print the problems; see the module docstring for exit codes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--places", type=Path, default=DEFAULT_PLACES, help="places Turtle file")
    args = parser.parse_args(argv)
    try:
        places = load_places(args.places)
    except (OSError, SyntaxError, ValueError) as error:
        print(f"cannot read {args.places}: {error}", file=sys.stderr)
        return 2
    problems = check_places(places)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(places)} places OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
