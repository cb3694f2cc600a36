"""Documents to count over: JSON lines, parquet, a saved ``datasets`` dataset, or a Wikipedia XML dump.

Sources are cut into :class:`Shard` s that workers read on their own: JSON lines by byte ranges (a line belongs to
the shard where it starts), parquet by row groups, a ``datasets`` folder by contiguous row ranges; compressed JSON
lines and XML dumps are one shard per file (:func:`stream_shards` lets the parent read those and hand batches of
documents to the workers instead).

Example:
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "corpus.jsonl"
    >>> _ = path.write_text("".join(json.dumps({"text": f"document {i}"}) + "\\n" for i in range(1000)))
    >>> shards = plan_shards([path], pieces=4)
    >>> len(shards), sum(1 for shard in shards for _ in iter_shard(shard))  # every document once
    (4, 1000)
"""

from __future__ import annotations

import gzip
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from knowbench.errors import ConfigError, MissingInputError, SourceFormatError

KINDS = ("jsonl", "parquet", "datasets", "wikixml")


@dataclass(frozen=True)
class Shard:
    """A piece of one source: ``[start, stop)`` in bytes (jsonl), row groups (parquet) or rows (datasets)."""

    path: str
    kind: str
    start: int = 0
    stop: int = -1
    text_field: str = "text"


def source_kind(path: str | os.PathLike[str]) -> str:
    """``jsonl``, ``parquet``, ``datasets`` (a ``save_to_disk`` folder) or ``wikixml`` from the path."""
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        if (path / "state.json").is_file() or (path / "dataset_dict.json").is_file():
            return "datasets"
        raise ConfigError(f"{path}: a folder must be a `datasets` save_to_disk folder; pass files otherwise")
    if not path.is_file():
        raise MissingInputError(path, "corpus file")
    if name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".xml", ".xml.bz2", ".xml.gz")):
        return "wikixml"
    raise ConfigError(f"{path}: unknown corpus format; use .jsonl(.gz), .parquet, .xml(.bz2) or a datasets folder")


def plan_shards(sources: Sequence[str | os.PathLike[str]], pieces: int = 1, text_field: str = "text") -> list[Shard]:
    """Cut ``sources`` into about ``pieces`` shards in total (at least one per source)."""
    if not sources:
        raise ConfigError("no corpus given")
    kinds = [(Path(s), source_kind(s)) for s in sources]
    sizes = [_size(p, k) for p, k in kinds]
    total = sum(sizes) or 1
    shards: list[Shard] = []
    for (path, kind), size in zip(kinds, sizes, strict=True):
        want = max(1, round(pieces * size / total))
        shards.extend(_split(path, kind, want, text_field))
    return shards


def _size(path: Path, kind: str) -> int:
    if kind == "datasets":
        return sum(f.stat().st_size for f in path.rglob("*.arrow"))
    return path.stat().st_size


def _split(path: Path, kind: str, pieces: int, text_field: str) -> list[Shard]:
    if kind == "jsonl" and not path.name.endswith(".gz") and pieces > 1:
        size = path.stat().st_size
        edges = [size * i // pieces for i in range(pieces + 1)]
        return [Shard(str(path), kind, a, b, text_field) for a, b in itertools.pairwise(edges) if b > a]
    if kind == "parquet":
        import pyarrow.parquet as pq

        groups = pq.ParquetFile(path).metadata.num_row_groups
        pieces = max(1, min(pieces, groups))
        edges = [groups * i // pieces for i in range(pieces + 1)]
        return [Shard(str(path), kind, a, b, text_field) for a, b in itertools.pairwise(edges) if b > a]
    if kind == "datasets":
        rows = len(_load_from_disk(path))
        pieces = max(1, min(pieces, rows))
        edges = [rows * i // pieces for i in range(pieces + 1)]
        return [Shard(str(path), kind, a, b, text_field) for a, b in itertools.pairwise(edges) if b > a]
    return [Shard(str(path), kind, 0, -1, text_field)]


def _load_from_disk(path: Path):
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if len(loaded) != 1:
            raise ConfigError(f"{path}: a DatasetDict with splits {list(loaded)}; save the one split to count")
        loaded = next(iter(loaded.values()))
    return loaded


def iter_shard(shard: Shard, raw_wikitext: bool = False) -> Iterator[str]:
    """The documents (plain text) of one shard; ``raw_wikitext`` yields XML pages' wikitext uncleaned."""
    if shard.kind == "jsonl":
        yield from _iter_jsonl(shard)
    elif shard.kind == "parquet":
        yield from _iter_parquet(shard)
    elif shard.kind == "datasets":
        dataset = _load_from_disk(Path(shard.path))
        if shard.text_field not in dataset.column_names:
            raise SourceFormatError(shard.path, None, f"no column {shard.text_field!r}; it has {dataset.column_names}")
        yield from iter_dataset_texts(dataset.select(range(shard.start, shard.stop)), shard.text_field)
    elif shard.kind == "wikixml":
        yield from iter_wiki_pages(shard.path, clean=not raw_wikitext)
    else:
        raise ConfigError(f"unknown shard kind {shard.kind!r}")


def iter_dataset_texts(dataset: object, text_field: str = "text", batch_size: int = 1000) -> Iterator[str]:
    """Texts of a ``datasets.Dataset`` (column ``text_field``), read in batches."""
    number = 0
    for batch in dataset.iter(batch_size=batch_size):  # type: ignore[attr-defined]
        for text in batch[text_field]:
            number += 1
            if not isinstance(text, str):
                raise SourceFormatError("dataset", f"row {number}", f"{text_field!r} is not a string")
            yield text


def _line_at(path: str, offset: int) -> str:
    """``"line N"`` (1-based) of the line starting at byte ``offset``; counted only when an error is reported."""
    opener = gzip.open if path.endswith(".gz") else open
    newlines, left = 0, offset
    with opener(path, "rb") as handle:
        while left > 0:
            block = handle.read(min(left, 1 << 20))
            if not block:
                break
            newlines += block.count(b"\n")
            left -= len(block)
    return f"line {newlines + 1}"


def _iter_jsonl(shard: Shard) -> Iterator[str]:
    compressed = shard.path.endswith(".gz")
    opener = gzip.open if compressed else open
    with opener(shard.path, "rb") as handle:
        position = 0
        if shard.start > 0:
            handle.seek(shard.start - 1)
            position = shard.start - 1 + len(handle.readline())  # to the start of the next line
        stop = shard.stop if shard.stop >= 0 else None
        while stop is None or position < stop:
            line = handle.readline()
            if not line:
                break
            where = position
            position += len(line)
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise SourceFormatError(shard.path, _line_at(shard.path, where), f"malformed JSON ({error})") from None
            text = record.get(shard.text_field) if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise SourceFormatError(shard.path, _line_at(shard.path, where), f"no string field {shard.text_field!r}")
            yield text


def _iter_parquet(shard: Shard) -> Iterator[str]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(shard.path)
    if shard.text_field not in file.schema_arrow.names:
        raise SourceFormatError(shard.path, None, f"no column {shard.text_field!r}; it has {file.schema_arrow.names}")
    stop = shard.stop if shard.stop >= 0 else file.metadata.num_row_groups
    for batch in file.iter_batches(columns=[shard.text_field], row_groups=list(range(shard.start, stop))):
        for text in batch.column(0).to_pylist():
            yield text or ""


def iter_wiki_pages(path: str | os.PathLike[str], clean: bool = True) -> Iterator[str]:
    """Article text (namespace 0, no redirects, latest revision) of a MediaWiki XML dump, through the EvoWiki
    reader; ``clean`` turns wikitext into plain text with its ``clean_text``."""
    from knowbench.datasets_src.evowiki.wikipedia import clean_text, iter_pages

    for page in iter_pages(path, namespaces={0}):
        revision = page.latest() if callable(page.latest) else page.latest
        if page.redirect or revision is None or not revision.text:
            continue
        yield clean_text(revision.text) if clean else revision.text
