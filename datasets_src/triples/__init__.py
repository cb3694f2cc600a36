"""Knowledge-triple sources: ParaRel / T-REx, the SMI paper's fact list, Wikidata entities (via EvoWiki).

:func:`read_facts` recognises each source from its path and content:

* a folder of ``P*.jsonl`` files or one such file: T-REx/ParaRel (:func:`~.pararel.iter_trex`);
* a JSON list with ``subj``/``rel``/``obj``: the SMI list (:func:`~.pararel.read_smi_facts`);
* JSON lines with ``subject``/``relation``/``object`` (e.g. a ``counts.jsonl``, or the triples dataset exported):
  generic facts, ids and aliases kept where present;
* ``wikidata:PATH[,PATH...]`` (files or folders of entity JSON; labels of objects are looked up in all of them):
  :func:`~.wikidata.iter_wikidata_triples`.

Example:
    >>> import json, pathlib, tempfile
    >>> from knowbench.datasets_src.triples import read_facts
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "facts.json").write_text(json.dumps([{"idx": 7, "subj": "John Cage", "rel": "plays", "obj": "opera"}]))
    >>> [(f.key, f.fact_id, f.source) for f in read_facts(folder / "facts.json")]
    [(('John Cage', 'plays', 'opera'), '7', 'smi')]
    >>> _ = (folder / "facts.jsonl").write_text(json.dumps({"subject": "Paris", "relation": "capital of", "object": "France"}))
    >>> [(f.key, f.source) for f in read_facts(folder / "facts.jsonl")]
    [(('Paris', 'capital of', 'France'), 'jsonl')]
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from knowbench.datasets_src.triples.pararel import iter_trex, load_templates, read_smi_facts, trex_files
from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import MissingInputError, SourceFormatError
from knowbench.io import iter_jsonl

__all__ = ["Triple", "iter_trex", "load_templates", "read_facts", "read_generic_jsonl", "read_smi_facts", "trex_files"]


def read_generic_jsonl(path: str | os.PathLike[str]) -> list[Triple]:
    """JSON lines with ``subject``, ``relation``, ``object`` (optional ``*_id``, ``*_aliases``, ``id``)."""
    facts = []
    for number, row in iter_jsonl(path):
        values = [row.get(k) for k in ("subject", "relation", "object")]
        if not all(isinstance(v, str) and v for v in values):
            raise SourceFormatError(path, f"line {number}", f"needs non-empty strings subject, relation, object; got {values}")
        facts.append(Triple(
            *values,
            subject_id=row.get("subject_id") or None,
            relation_id=row.get("relation_id") or None,
            object_id=row.get("object_id") or None,
            subject_aliases=tuple(row.get("subject_aliases") or ()),
            object_aliases=tuple(row.get("object_aliases") or ()),
            id=str(row.get("id") or row.get("fact_id") or ""),
            source=str(row.get("source") or "jsonl"),
        ))
    return facts


def read_facts(path: str | os.PathLike[str]) -> list[Triple]:
    """Facts from any supported source (see the module docstring)."""
    text = os.fspath(path)
    if text.startswith("wikidata:"):
        from knowbench.datasets_src.triples.wikidata import iter_wikidata_triples

        return list(iter_wikidata_triples([p for p in text.removeprefix("wikidata:").split(",") if p]))
    path = Path(text)
    if path.is_dir() or (path.name.startswith("P") and path.suffix == ".jsonl" and path.stem[1:].isdigit()):
        return list(iter_trex(path))
    if not path.is_file():
        raise MissingInputError(path, "facts file or T-REx folder")
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        return read_smi_facts(path)
    first = head.split(b"\n", 1)[0]
    try:
        row = orjson.loads(first) if head.startswith(b"{") else None
    except orjson.JSONDecodeError:
        row = None  # a first line longer than the sniffed bytes; let the reader name the problem
    if isinstance(row, dict) and "sub_label" in row:
        return list(iter_trex(path))
    return read_generic_jsonl(path)
