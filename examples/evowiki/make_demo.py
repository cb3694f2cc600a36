"""Write the EvoWiki demo sources: ``wikidata/entities.json`` (a ``wbgetentities``-style response) and
``enwiki-demo.xml`` (a MediaWiki export, schema 0.10).

A small invented world, written for knowbench (no real entity; the ids Q990000xx are made up): the city of
Northvale, the country of Eastland, their office holders with start/end-time (P580/P582) qualifiers that change
around 2024, populations with point-in-time (P585) qualifiers, and a Wikipedia page per entity. With the cut-off
2024-01-01 some facts are stable (unchanged since before the cut-off), some evolved (a new holder after it) and
some uncharted (the fact began after it).

Run: python examples/evowiki/make_demo.py
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

MODIFIED = "2025-03-01T12:00:00Z"
ITEMS = {
    # id: (label, description, aliases, P31 class, enwiki page text)
    "Q99000001": ("Northvale", "city in Eastland", ["Northvale City"], "Q99000090",
                  "Northvale is a city in Eastland on the river Vale. Tomas Reed became mayor of Northvale in "
                  "February 2024, after Mara Quint had led the city since 2015. The city had about 131,500 "
                  "inhabitants in mid-2024, up from 120,000 in 2020."),
    "Q99000002": ("Eastland", "country", ["Republic of Eastland"], "Q99000091",
                  "Eastland is a country. Its president is Ilse Varga, in office since 2019. Anya Holm has been "
                  "prime minister of Eastland since March 2024; before her, Pieter Lund held the office from 2016."),
    "Q99000011": ("Mara Quint", "Eastland politician", ["M. Quint"], "Q99000092",
                  "Mara Quint is an Eastland politician who was mayor of Northvale from 2015 to 2024. She is "
                  "married to Oskar Quint. Since February 2024 she teaches at Northvale University."),
    "Q99000012": ("Tomas Reed", "Eastland politician", [], "Q99000092",
                  "Tomas Reed is an Eastland politician, mayor of Northvale since February 2024. He studied at "
                  "Northvale University."),
    "Q99000013": ("Oskar Quint", "Eastland architect", [], "Q99000092",
                  "Oskar Quint is an Eastland architect, married to Mara Quint since 2010."),
    "Q99000014": ("Ilse Varga", "Eastland politician", [], "Q99000092",
                  "Ilse Varga is an Eastland politician, president of Eastland since 2019."),
    "Q99000015": ("Pieter Lund", "Eastland politician", [], "Q99000092",
                  "Pieter Lund is an Eastland politician who was prime minister of Eastland from 2016 to 2024."),
    "Q99000016": ("Anya Holm", "Eastland politician", [], "Q99000092",
                  "Anya Holm is an Eastland politician, prime minister of Eastland since March 2024."),
    "Q99000030": ("Northvale University", "university in Northvale", [], "Q99000093",
                  "Northvale University is a public university in Northvale, Eastland, founded in 1961."),
}
CLASSES = {"Q99000090": "city", "Q99000091": "country", "Q99000092": "human", "Q99000093": "university"}

# subject: [(property, value, {qualifier property: date}), ...]; a value is an item id or ("quantity", amount)
CLAIMS = {
    "Q99000001": [
        ("P6", "Q99000011", {"P580": "2015-01-01", "P582": "2024-02-14"}),
        ("P6", "Q99000012", {"P580": "2024-02-15"}),
        ("P17", "Q99000002", {}),
        ("P1082", ("quantity", 120000), {"P585": "2020-01-01"}),
        ("P1082", ("quantity", 131500), {"P585": "2024-06-01"}),
    ],
    "Q99000002": [
        ("P35", "Q99000014", {"P580": "2019-06-01"}),
        ("P6", "Q99000015", {"P580": "2016-05-01", "P582": "2024-03-01"}),
        ("P6", "Q99000016", {"P580": "2024-03-01"}),
    ],
    "Q99000011": [
        ("P27", "Q99000002", {}),
        ("P26", "Q99000013", {"P580": "2010-08-14"}),
        ("P39", "Q99000094", {"P580": "2015-01-01", "P582": "2024-02-14"}),
        ("P108", "Q99000030", {"P580": "2024-02-01"}),
    ],
    "Q99000012": [("P27", "Q99000002", {}), ("P69", "Q99000030", {}), ("P39", "Q99000094", {"P580": "2024-02-15"})],
    "Q99000013": [("P27", "Q99000002", {}), ("P26", "Q99000011", {"P580": "2010-08-14"})],
    "Q99000014": [("P27", "Q99000002", {})],
    "Q99000015": [("P27", "Q99000002", {})],
    "Q99000016": [("P27", "Q99000002", {})],
    "Q99000030": [("P17", "Q99000002", {})],
}
LABEL_ONLY = {"Q99000094": "mayor of Northvale", **CLASSES}


def _text(value: str) -> dict:
    return {"language": "en", "value": value}


def _time(day: str) -> dict:
    return {"value": {"time": f"+{day}T00:00:00Z", "timezone": 0, "before": 0, "after": 0, "precision": 11,
                      "calendarmodel": "http://www.wikidata.org/entity/Q1985727"}, "type": "time"}


def _item(qid: str) -> dict:
    return {"value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid}, "type": "wikibase-entityid"}


def _statement(subject: str, index: int, prop: str, value, qualifiers: dict[str, str]) -> dict:
    if isinstance(value, tuple):
        datavalue, datatype = {"value": {"amount": f"+{value[1]}", "unit": "1"}, "type": "quantity"}, "quantity"
    else:
        datavalue, datatype = _item(value), "wikibase-item"
    statement = {
        "mainsnak": {"snaktype": "value", "property": prop, "datavalue": datavalue, "datatype": datatype},
        "type": "statement", "id": f"{subject}$demo-{index:04d}", "rank": "normal",
    }
    if qualifiers:
        statement["qualifiers"] = {
            q: [{"snaktype": "value", "property": q, "datavalue": _time(day), "datatype": "time"}]
            for q, day in qualifiers.items()
        }
        statement["qualifiers-order"] = list(qualifiers)
    return statement


def _entity(qid: str, label: str, description: str, aliases: list[str], claims: dict, page: bool) -> dict:
    entity = {
        "type": "item", "id": qid, "title": qid, "modified": MODIFIED, "lastrevid": 1000 + int(qid[-2:]),
        "labels": {"en": _text(label)}, "descriptions": {"en": _text(description)} if description else {},
        "aliases": {"en": [_text(a) for a in aliases]} if aliases else {}, "claims": claims,
        "sitelinks": {"enwiki": {"site": "enwiki", "title": label, "badges": []}} if page else {},
    }
    return entity


def main() -> None:
    here = Path(__file__).parent
    entities = {}
    for qid, (label, description, aliases, cls, _) in ITEMS.items():
        claims: dict[str, list] = {"P31": [_statement(qid, 0, "P31", cls, {})]}
        for index, (prop, value, qualifiers) in enumerate(CLAIMS.get(qid, []), start=1):
            claims.setdefault(prop, []).append(_statement(qid, index, prop, value, qualifiers))
        entities[qid] = _entity(qid, label, description, aliases, claims, page=True)
    for qid, label in LABEL_ONLY.items():
        entities[qid] = _entity(qid, label, "", [], {}, page=False)
    (here / "wikidata").mkdir(exist_ok=True)
    (here / "wikidata" / "entities.json").write_text(json.dumps({"entities": entities}, indent=1) + "\n")

    pages = []
    for number, (label, _, _, _, text) in enumerate(ITEMS.values(), start=1):
        body = f"'''{label}''' {text.removeprefix(label).lstrip()}\n\n== References ==\n{{{{Reflist}}}}\n"
        pages.append(f"""  <page>
    <title>{escape(label)}</title>
    <ns>0</ns>
    <id>{number}</id>
    <revision>
      <id>{5000 + number}</id>
      <timestamp>2024-11-{number:02d}T10:00:00Z</timestamp>
      <contributor>
        <username>KnowbenchDemo</username>
        <id>1</id>
      </contributor>
      <model>wikitext</model>
      <format>text/x-wiki</format>
      <text bytes="{len(body.encode())}" xml:space="preserve">{escape(body)}</text>
    </revision>
  </page>""")
    xml = f"""<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>enwiki</dbname>
    <base>https://en.wikipedia.org/wiki/Main_Page</base>
    <generator>MediaWiki 1.43.0</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="0" case="first-letter" />
    </namespaces>
  </siteinfo>
{chr(10).join(pages)}
</mediawiki>
"""
    (here / "enwiki-demo.xml").write_text(xml)
    print(f"wrote {here / 'wikidata' / 'entities.json'} ({len(entities)} entities) and {here / 'enwiki-demo.xml'}")


if __name__ == "__main__":
    main()
