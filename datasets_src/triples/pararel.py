"""ParaRel / T-REx (LAMA) facts and the SMI paper's 12,671-fact list.

* T-REx ``P*.jsonl`` files (``sub_label``, ``obj_label``, ``uuid``; some releases add ``sub_uri``/``obj_uri``):
  one relation per file, named by its Wikidata property.
* The SMI list (``pararel_15classes.json``): a JSON list of ``{"idx", "subj", "rel", "obj", "qus"}``.

Example:
    >>> facts = list(iter_trex("../shared/data/smi/pararel/data/trex_lms_vocab"))  # doctest: +SKIP
    >>> facts[0].relation_id  # doctest: +SKIP
    'P1001'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import orjson

from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import SourceFormatError
from knowbench.io import read_jsonl

_PROPERTY = re.compile(r"^(P\d+)\.jsonl$")


def trex_files(path: str | os.PathLike[str]) -> list[Path]:
    """The ``P*.jsonl`` files of a T-REx folder (sorted by property number), or the one file given."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no T-REx file or folder at {path}")
    files = sorted((p for p in path.glob("P*.jsonl") if _PROPERTY.match(p.name)), key=lambda p: int(p.stem[1:]))
    if not files:
        raise SourceFormatError(path, None, "no P<number>.jsonl files in this folder")
    return files


def iter_trex(path: str | os.PathLike[str]) -> Iterator[Triple]:
    """Facts of a T-REx/ParaRel folder or file; ``relation`` and ``relation_id`` are the property (``P1001``)."""
    for file in trex_files(path):
        match = _PROPERTY.match(file.name)
        relation = match.group(1) if match else file.stem
        for number, row in enumerate(read_jsonl(file), start=1):
            subject, obj = row.get("sub_label"), row.get("obj_label")
            if not isinstance(subject, str) or not subject or not isinstance(obj, str) or not obj:
                raise SourceFormatError(file, f"line {number}", "needs non-empty string sub_label and obj_label")
            yield Triple(
                subject=subject,
                relation=relation,
                object=obj,
                subject_id=_qid(row.get("sub_uri")),
                relation_id=relation,
                object_id=_qid(row.get("obj_uri")),
                id=str(row.get("uuid") or ""),
                source="trex",
            )


def _qid(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value.rsplit("/", 1)[-1]
    return None


def read_smi_facts(path: str | os.PathLike[str]) -> list[Triple]:
    """The SMI paper's fact list (``pararel_15classes.json``): relation is its class name (``plays``, ``born``...)."""
    path = Path(path)
    try:
        rows = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise SourceFormatError(path, None, f"malformed JSON ({error})") from None
    if not isinstance(rows, list):
        raise SourceFormatError(path, None, f"expected a JSON list of facts, got {type(rows).__name__}")
    facts = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SourceFormatError(path, f"fact {index}", f"expected an object, got {type(row).__name__}")
        values = [row.get(k) for k in ("subj", "rel", "obj")]
        if not all(isinstance(v, str) and v for v in values):
            raise SourceFormatError(path, f"fact {index}", f"needs non-empty strings subj, rel, obj; got {values}")
        facts.append(Triple(*values, id=str(row.get("idx", index)), source="smi"))
    return facts
