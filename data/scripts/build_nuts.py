"""Build data/nuts.ttl, the Belgian NUTS regions, from the EU's code list.

The source is the Genericode file of the eForms SDK's code list ``nuts-bel-lvl3`` (version
1.15.1, Publications Office of the European Union, CC BY 4.0): the 44 Belgian NUTS level-3
regions (arrondissements) with their names in every EU language. Levels 1 and 2 are not in it:
their codes are the prefixes of the level-3 codes (BE2 ⊃ BE25 ⊃ BE254), and their names, the
official NUTS names in the national languages, are given below. ``BEZZZ`` (Extra-Regio) is left
out: no place lies in it.

Every region is a kl:NutsRegion and a skos:Concept of the scheme http://data.europa.eu/nuts,
identified as http://data.europa.eu/nuts/code/{code}, with its code as skos:notation and the
level above as skos:broader. The output is deterministic: rerunning gives the same bytes
(tests/test_data.py checks that data/nuts.ttl is up to date).

    python data/scripts/build_nuts.py [--source data/reference/nuts-bel-lvl3.gc] [--out PATH]

Exit codes: 0 written, 2 the source could not be read or does not have the expected rows.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent
DEFAULT_OUT = DATA / "nuts.ttl"
DEFAULT_SOURCE = DATA / "reference" / "nuts-bel-lvl3.gc"
SOURCE_URI = "https://github.com/OP-TED/eforms-sdk/blob/1.15.1/codelists/nuts-bel-lvl3.gc"

#: ISO 639-2/3 codes of the code list's label columns → the BCP 47 language tags RDF uses.
LANGUAGES = {
    "bul": "bg", "ces": "cs", "dan": "da", "deu": "de", "ell": "el", "eng": "en", "est": "et",
    "fin": "fi", "fra": "fr", "gle": "ga", "hrv": "hr", "hun": "hu", "ita": "it", "lav": "lv",
    "lit": "lt", "mlt": "mt", "nld": "nl", "pol": "pl", "por": "pt", "ron": "ro", "slk": "sk",
    "slv": "sl", "spa": "es", "swe": "sv",
}  # fmt: skip

#: Levels 1 and 2: the official NUTS names, in the language(s) of the region.
UPPER_LEVELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "BE1": ("Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest", ("fr", "nl")),
    "BE10": ("Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest", ("fr", "nl")),
    "BE2": ("Vlaams Gewest", ("nl",)),
    "BE21": ("Prov. Antwerpen", ("nl",)),
    "BE22": ("Prov. Limburg (BE)", ("nl",)),
    "BE23": ("Prov. Oost-Vlaanderen", ("nl",)),
    "BE24": ("Prov. Vlaams-Brabant", ("nl",)),
    "BE25": ("Prov. West-Vlaanderen", ("nl",)),
    "BE3": ("Région wallonne", ("fr",)),
    "BE31": ("Prov. Brabant wallon", ("fr",)),
    "BE32": ("Prov. Hainaut", ("fr",)),
    "BE33": ("Prov. Liège", ("fr",)),
    "BE34": ("Prov. Luxembourg (BE)", ("fr",)),
    "BE35": ("Prov. Namur", ("fr",)),
}
LEVEL_NAMES = {
    1: ("Belgian NUTS level-1 region", "Belgische NUTS-regio van niveau 1",
        "Région belge de niveau NUTS 1"),
    2: ("Belgian NUTS level-2 region", "Belgische NUTS-regio van niveau 2",
        "Région belge de niveau NUTS 2"),
    3: ("Belgian NUTS level-3 region (arrondissement)",
        "Belgische NUTS-regio van niveau 3 (arrondissement)",
        "Région belge de niveau NUTS 3 (arrondissement)"),
}  # fmt: skip
GC = "{http://docs.oasis-open.org/codelist/ns/genericode/1.0/}"


class SourceError(Exception):
    """The code list could not be read or is not the expected one."""


def read_level3(source: Path) -> dict[str, dict[str, str]]:
    """Code → {language tag: label} for the Belgian level-3 regions of the Genericode file."""
    try:
        root = ET.parse(source).getroot()
    except (OSError, ET.ParseError) as err:
        raise SourceError(f"{source}: {err}") from err
    if root.tag != GC + "CodeList":
        raise SourceError(f"{source}: not a Genericode code list")
    regions: dict[str, dict[str, str]] = {}
    for row in root.iter("Row"):
        values = {}
        for value in row.iter("Value"):
            simple = value.find("SimpleValue")
            if simple is not None and simple.text:
                values[value.get("ColumnRef", "")] = simple.text.strip()
        code = values.get("code", "")
        if not (code.startswith("BE") and len(code) == 5) or code == "BEZZZ":
            continue
        regions[code] = {
            tag: values[f"{column}_label"]
            for column, tag in LANGUAGES.items()
            if values.get(f"{column}_label")
        }
    if len(regions) != 44:
        raise SourceError(f"{source}: expected the 44 Belgian NUTS-3 regions, found {len(regions)}")
    missing = sorted({code[:3] for code in regions} | {code[:4] for code in regions})
    unknown = [code for code in missing if code not in UPPER_LEVELS]
    if unknown:
        raise SourceError(f"{source}: no name for the upper levels {unknown}")
    return regions


def _literal(text: str, language: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{language}'


def _region(code: str, labels: list[tuple[str, str]], parent_name: str | None) -> str:
    level = len(code) - 2
    en, nl, fr = LEVEL_NAMES[level]
    name = labels[0][1] if labels else code
    lines = [
        f"nuts:{code}",
        "    a kl:NutsRegion , skos:Concept ;",
        "    skos:inScheme <http://data.europa.eu/nuts> ;",
        f'    skos:notation "{code}" ;',
    ]
    if len(code) == 3:
        lines.append("    skos:topConceptOf <http://data.europa.eu/nuts> ;")
    else:
        lines.append(f"    skos:broader nuts:{code[:-1]} ;")
    lines.append(
        "    skos:prefLabel " + " ,\n        ".join(_literal(t, lang) for lang, t in labels) + " ;"
    )
    within = f", in {parent_name}" if parent_name else ""
    within_nl = f", in {parent_name}" if parent_name else ""
    within_fr = f", dans {parent_name}" if parent_name else ""
    lines.append(
        f"    skos:definition {_literal(f'{en}: {name}{within}.', 'en')} ,\n"
        f"        {_literal(f'{nl}: {name}{within_nl}.', 'nl')} ,\n"
        f"        {_literal(f'{fr} : {name}{within_fr}.', 'fr')} ."
    )
    return "\n".join(lines) + "\n"


def build(source: Path) -> str:
    """The Turtle text of data/nuts.ttl."""
    level3 = read_level3(source)
    names: dict[str, str] = {code: name for code, (name, _) in UPPER_LEVELS.items()}
    for code, by_language in level3.items():
        names[code] = by_language.get("nl") or by_language.get("fr") or by_language["en"]
    header = f"""# Belgian NUTS regions (kl:NutsRegion): the 3 regions, 10 provinces
# (and the Brussels-Capital Region at level 2) and 44 arrondissements.
# GENERATED by data/scripts/build_nuts.py from the eForms SDK code list
# nuts-bel-lvl3 1.15.1 (Publications Office of the European Union, CC BY 4.0):
# do not edit by hand. Level-3 names are those of the code list, in every EU
# language it gives; level-1 and level-2 names are the official NUTS names in
# the national languages (the code list has level 3 only).

@prefix kl:      <https://w3id.org/kringloop/ns#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix nuts:    <http://data.europa.eu/nuts/code/> .

<http://data.europa.eu/nuts>
    a skos:ConceptScheme ;
    skos:prefLabel "NUTS (Belgium)"@en , "NUTS (België)"@nl , "NUTS (Belgique)"@fr ;
    dcterms:source <{SOURCE_URI}> ;
    skos:hasTopConcept nuts:BE1 , nuts:BE2 , nuts:BE3 .
"""
    blocks = [header]
    for code in sorted(names, key=lambda c: (c[:3], len(c), c)):
        if code in UPPER_LEVELS:
            name, languages = UPPER_LEVELS[code]
            labels = [(lang, name) for lang in languages]
        else:
            labels = sorted(level3[code].items(), key=lambda item: item[0])
            labels = [item for item in labels if item[0] == "nl"] + [
                item for item in labels if item[0] != "nl"
            ]
        parent = names.get(code[:-1]) if len(code) > 3 else None
        blocks.append(_region(code, labels, parent))
    return "\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        text = build(args.source)
    except SourceError as err:
        print(f"build_nuts: {err}", file=sys.stderr)
        return 2
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
