"""``jsonl``: any JSON lines file, with a mapping from knowbench's fields to the file's keys.

``--map question=problem,solution=output,gold=answer,reference=rationale,model=model_name,id=uid`` (``answer`` is
accepted for ``gold``). ``question``, ``solution`` and ``gold`` are required; a dotted key reads a nested field
(``meta.id``). Without ``model`` the ``model`` option names the solver; without ``id`` the ``source_id`` is a hash.

Example:
    >>> parse_mapping("question=q,solution=out,answer=a")
    {'question': 'q', 'solution': 'out', 'gold': 'a'}
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from knowbench.datasets_src.mwpes.formats import FORMATS, SolutionRecord
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import iter_jsonl

FIELDS = ("question", "solution", "gold", "reference", "model", "id", "dataset")
REQUIRED = ("question", "solution", "gold")
_ALIASES = {"answer": "gold", "gold_answer": "gold", "source_id": "id", "uuid": "id"}


def parse_mapping(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"question=q,solution=s"`` (or a dict) -> ``{field: key}``; unknown fields and missing required ones raise."""
    if text is None or text == "":
        raise ConfigError(f"the jsonl format needs --map with at least {', '.join(REQUIRED)}, e.g. "
                          "--map question=q,solution=output,gold=answer")
    pairs = text.items() if isinstance(text, Mapping) else (p.split("=", 1) for p in text.split(",") if p.strip())
    mapping = {}
    for pair in pairs:
        if len(pair) != 2 or not pair[0].strip() or not pair[1].strip():
            raise ConfigError(f"--map entries are field=key, got {'='.join(pair)!r} in {text!r}")
        name = _ALIASES.get(pair[0].strip(), pair[0].strip())
        if name not in FIELDS:
            raise ConfigError(f"--map: unknown field {pair[0]!r}; known: {', '.join(FIELDS)} (answer = gold)")
        mapping[name] = pair[1].strip()
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ConfigError(f"--map lacks {', '.join(missing)}: {text!r}")
    return mapping


def _get(record: dict[str, Any], key: str) -> Any:
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@FORMATS.register("jsonl")
def read(path: str | os.PathLike[str], mapping: str | Mapping[str, str] | None = None, model: str = "unknown"
         ) -> Iterator[SolutionRecord]:
    """One record per line through ``mapping``; a missing or non-text mapped field raises naming the line."""
    fields = parse_mapping(mapping)
    for line, record in iter_jsonl(path):
        values: dict[str, str | None] = {}
        for name in FIELDS:
            if name not in fields:
                values[name] = None
                continue
            value = _get(record, fields[name])
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            if value is None and name not in REQUIRED:
                values[name] = None
                continue
            if not isinstance(value, str) or (name in REQUIRED and not value.strip()):
                raise SourceFormatError(path, f"line {line}", f"{name} (key {fields[name]!r}) must be a non-empty "
                                        f"string, got {value!r:.40}")
            values[name] = value
        yield SolutionRecord(values["question"] or "", values["solution"] or "", values["gold"] or "",
                             values["model"] or model, line, reference=values["reference"] or "",
                             source_id=values["id"], dataset=values["dataset"] or "gsm8k")
