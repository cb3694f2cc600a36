"""ParaRel / T-REx (LAMA) facts, the SMI paper's 12,671-fact list and its paraphrased cloze templates.

* T-REx ``P*.jsonl`` files (``sub_label``, ``obj_label``, ``uuid``; some releases add ``sub_uri``/``obj_uri``):
  one relation per file, named by its Wikidata property.
* The SMI list (``pararel_15classes.json``): a JSON list of ``{"idx", "subj", "rel", "obj", "qus"}``.
* The templates (``pararel_multi_templates.json``): a JSON object relation -> list of cloze templates, each holding
  ``[S]`` where the subject goes (20 per relation in the SMI release).

Example:
    >>> import json, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> row = {"sub_label": "Paris", "obj_label": "France", "uuid": "u1", "sub_uri": "Q90", "obj_uri": "Q142"}
    >>> _ = (folder / "P17.jsonl").write_text(json.dumps(row) + "\\n")
    >>> [(f.subject, f.relation_id, f.object, f.object_id, f.id) for f in iter_trex(folder)]
    [('Paris', 'P17', 'France', 'Q142', 'u1')]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import MissingInputError, SourceFormatError
from knowbench.io import iter_jsonl, read_json

_PROPERTY = re.compile(r"^(P\d+)\.jsonl$")


def trex_files(path: str | os.PathLike[str]) -> list[Path]:
    """The ``P*.jsonl`` files of a T-REx folder (sorted by property number), or the one file given."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise MissingInputError(path, "T-REx file or folder")
    files = sorted((p for p in path.glob("P*.jsonl") if _PROPERTY.match(p.name)), key=lambda p: int(p.stem[1:]))
    if not files:
        raise SourceFormatError(path, None, "no P<number>.jsonl files in this folder")
    return files


def iter_trex(path: str | os.PathLike[str]) -> Iterator[Triple]:
    """Facts of a T-REx/ParaRel folder or file; ``relation`` and ``relation_id`` are the property (``P1001``)."""
    for file in trex_files(path):
        match = _PROPERTY.match(file.name)
        relation = match.group(1) if match else file.stem
        for number, row in iter_jsonl(file):
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
    rows = read_json(path, list, "a JSON list of facts")
    facts = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SourceFormatError(path, f"fact {index + 1}", f"expected an object, got {type(row).__name__}")
        values = [row.get(k) for k in ("subj", "rel", "obj")]
        if not all(isinstance(v, str) and v for v in values):
            raise SourceFormatError(path, f"fact {index + 1}", f"needs non-empty strings subj, rel, obj; got {values}")
        facts.append(Triple(*values, id=str(row.get("idx", index)), source="smi"))
    return facts


def load_templates(path: str | os.PathLike[str]) -> dict[str, tuple[str, ...]]:
    """Relation -> cloze templates (each holding ``[S]``) from a JSON object of non-empty lists.

    Example:
        >>> import json, tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        ...     json.dump({"born": ["[S] was born in", "[S] is a native of"]}, handle)
        >>> load_templates(handle.name)
        {'born': ('[S] was born in', '[S] is a native of')}
    """
    path = Path(path)
    raw = read_json(path, dict, "an object relation -> list of templates")
    out = {}
    for relation, templates in raw.items():
        if not isinstance(templates, list) or not templates:
            raise SourceFormatError(path, f"relation {relation!r}", "expected a non-empty list of templates")
        for number, template in enumerate(templates, start=1):
            if not isinstance(template, str) or "[S]" not in template:
                raise SourceFormatError(path, f"relation {relation!r} template {number}",
                                        f"template {template!r} has no [S]")
        out[str(relation)] = tuple(templates)
    return out
