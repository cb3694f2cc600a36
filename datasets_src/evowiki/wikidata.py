"""Wikidata entities as typed :class:`~knowbench.datasets_src.evowiki.types.Entity` records.

:func:`iter_entities` streams dumps (``.json``/``.json.gz``/``.json.bz2``), ``wbgetentities`` responses and bare
entity documents in constant memory (see :mod:`.dumpio` for the layouts), optionally parsing in worker processes.

Value rendering (``Statement.value``): items/properties/lexemes -> their id (``"Q5"``; old dumps with only
``numeric-id`` included); time -> the time string as written (``"+1977-00-00T00:00:00Z"``); quantity -> the amount
without a leading ``+`` (``"1520000"``, ``"-3.5"``); monolingual text -> the text; globe coordinate ->
``"lat,lon"``; strings, external ids, URLs, media -> the string. ``somevalue``/``novalue`` snaks are skipped unless
``special_values=True`` (then the value is ``"somevalue"``/``"novalue"``). Time qualifiers P580/P582/P585 use
their first snak with a value. Labels fall back to the ``mul`` language when the chosen one is missing.

Example:
    >>> doc = {"id": "Q1", "type": "item", "labels": {"en": {"language": "en", "value": "universe"}},
    ...        "claims": {"P580": [{"id": "Q1$x", "rank": "normal", "mainsnak": {"snaktype": "value",
    ...            "property": "P580", "datatype": "time", "datavalue": {"type": "time",
    ...            "value": {"time": "-13798000000-00-00T00:00:00Z", "precision": 3}}}}]}}
    >>> entity = parse_entity(doc)
    >>> entity.label, entity.statements[0].value
    ('universe', '-13798000000-00-00T00:00:00Z')
"""

from __future__ import annotations

import collections
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowbench.datasets_src.evowiki.dumpio import (
    PathLike,
    RawBlock,
    RawRecord,
    as_paths,
    block_records,
    decode_record,
    iter_documents,
    iter_raw,
)
from knowbench.datasets_src.evowiki.types import Entity, Statement, WikidataTime
from knowbench.errors import SourceFormatError

START, END, POINT_IN_TIME = "P580", "P582", "P585"
_ENTITY_PREFIX = {"item": "Q", "property": "P", "lexeme": "L"}
_DATATYPE_FROM_VALUE = {
    "string": "string",
    "time": "time",
    "quantity": "quantity",
    "monolingualtext": "monolingualtext",
    "globecoordinate": "globe-coordinate",
}


def _entity_id(value: dict[str, Any]) -> str:
    if "id" in value:
        return str(value["id"])
    prefix = _ENTITY_PREFIX.get(value.get("entity-type", "item"), "Q")
    return f"{prefix}{value['numeric-id']}"


def render_value(datavalue: dict[str, Any]) -> str:
    """The literal of a mainsnak ``datavalue`` as stored in :attr:`Statement.value` (see module docstring)."""
    kind, value = datavalue.get("type"), datavalue.get("value")
    if kind == "wikibase-entityid":
        return _entity_id(value)
    if kind == "time":
        return str(value["time"])
    if kind == "quantity":
        amount = str(value["amount"])
        return amount[1:] if amount.startswith("+") else amount
    if kind == "monolingualtext":
        return str(value["text"])
    if kind == "globecoordinate":
        return f"{value['latitude']},{value['longitude']}"
    if isinstance(value, str):
        return value
    return str(value)


def _datatype(snak: dict[str, Any]) -> str:
    if "datatype" in snak:
        return str(snak["datatype"])
    datavalue = snak.get("datavalue") or {}
    kind = datavalue.get("type")
    if kind == "wikibase-entityid":
        return f"wikibase-{datavalue['value'].get('entity-type', 'item')}"
    return _DATATYPE_FROM_VALUE.get(kind, str(kind or "unknown"))


def _time_qualifier(qualifiers: dict[str, Any] | None, prop: str) -> WikidataTime | None:
    if not qualifiers:
        return None
    for snak in qualifiers.get(prop, ()):
        if snak.get("snaktype") == "value":
            value = snak["datavalue"]["value"]
            if isinstance(value, dict) and "time" in value:
                return WikidataTime(str(value["time"]), int(value.get("precision", 11)))
    return None


def _in_language(mapping: Any, language: str) -> str | None:
    if not isinstance(mapping, dict):  # an empty mapping is serialised as [] in some dumps
        return None
    for key in (language, "mul"):
        entry = mapping.get(key)
        if entry:
            return str(entry["value"])
    return None


def parse_statements(
    doc: dict[str, Any], special_values: bool = False, properties: frozenset[str] | None = None
) -> tuple[Statement, ...]:
    """The statements of an entity document, in document order (only ``properties`` when given)."""
    subject = str(doc["id"])
    claims = doc.get("claims") or doc.get("statements") or {}
    if not isinstance(claims, dict):
        return ()
    result: list[Statement] = []
    append = result.append
    for prop, group in claims.items():
        if properties is not None and prop not in properties:
            continue
        for claim in group:
            snak = claim["mainsnak"]
            snaktype = snak.get("snaktype", "value")
            if snaktype == "value":
                value = render_value(snak["datavalue"])
            elif special_values:
                value = snaktype
            else:
                continue
            qualifiers = claim.get("qualifiers")
            if qualifiers and (START in qualifiers or END in qualifiers or POINT_IN_TIME in qualifiers):
                start = _time_qualifier(qualifiers, START)
                end = _time_qualifier(qualifiers, END)
                point = _time_qualifier(qualifiers, POINT_IN_TIME)
            else:
                start = end = point = None
            datatype = snak.get("datatype")
            append(
                Statement(
                    subject,
                    prop,
                    value,
                    datatype if datatype is not None else _datatype(snak),
                    claim.get("rank", "normal"),
                    start,
                    end,
                    point,
                    claim.get("id", ""),
                )
            )
    return tuple(result)


def parse_entity(
    doc: dict[str, Any],
    language: str = "en",
    special_values: bool = False,
    properties: frozenset[str] | None = None,
) -> Entity:
    """Turn one entity document (dump line, API response entry, or bare document) into an :class:`Entity`."""
    if "id" not in doc:
        raise KeyError("entity document without 'id'")
    sitelinks = doc.get("sitelinks")
    if not isinstance(sitelinks, dict):
        sitelinks = {}
    site = sitelinks.get(f"{language}wiki")
    aliases = doc.get("aliases")
    alias_list = aliases.get(language, ()) if isinstance(aliases, dict) else ()
    label = _in_language(doc.get("labels"), language)
    if label is None and isinstance(doc.get("lemmas"), dict):
        label = _in_language(doc["lemmas"], language)
    return Entity(
        id=str(doc["id"]),
        label=label,
        description=_in_language(doc.get("descriptions"), language),
        aliases=tuple(str(a["value"]) for a in alias_list),
        sitelinks=len(sitelinks),
        enwiki_title=str(site["title"]) if isinstance(site, dict) and "title" in site else None,
        modified=str(doc["modified"]) if doc.get("modified") else None,
        statements=parse_statements(doc, special_values=special_values, properties=properties),
    )


def _entity_type(doc: dict[str, Any]) -> str:
    kind = doc.get("type")
    if kind:
        return str(kind)
    return {"Q": "item", "P": "property", "L": "lexeme"}.get(str(doc["id"])[:1], "item")


@dataclass(frozen=True, slots=True)
class _Options:
    language: str
    special_values: bool
    kinds: frozenset[str] | None
    properties: frozenset[str] | None
    parallel_gzip: bool = False


def _convert(doc: dict[str, Any], path: str, where: str, options: _Options) -> Entity | None:
    if options.kinds is not None and _entity_type(doc) not in options.kinds:
        return None
    try:
        return parse_entity(
            doc,
            language=options.language,
            special_values=options.special_values,
            properties=options.properties,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SourceFormatError(
            path,
            f"{where} entity {doc.get('id', '?')}",
            f"unexpected entity shape ({type(error).__name__}: {error})",
        ) from None


def _parse_block(
    block: RawBlock, fast: bool, options: _Options
) -> tuple[list[Entity], tuple[str, str | None, str] | None]:
    """Worker: parse a block of lines; errors come back as (path, where, problem) (exceptions may not pickle)."""
    out: list[Entity] = []
    try:
        for record in block_records(block):
            for doc in decode_record(record, fast=fast):
                entity = _convert(doc, record.path, f"line {record.line}", options)
                if entity is not None:
                    out.append(entity)
    except SourceFormatError as error:
        return out, (error.path, error.where, error.problem)
    return out, None


def _serial(
    paths: list[Path], fast: bool, threads: int | None, options: _Options, block_size: int
) -> Iterator[Entity]:
    for path in paths:
        raw = iter_raw(
            path, fast=fast, threads=threads, block_size=block_size, parallel_gzip=options.parallel_gzip
        )
        for record in raw:
            if isinstance(record, RawRecord):
                docs: Iterable[dict[str, Any]] = decode_record(record, fast=fast)
                where = f"line {record.line}"
            else:
                docs, where = (record,), "document"
            for doc in docs:
                entity = _convert(doc, str(path), where, options)
                if entity is not None:
                    yield entity


def _parallel(
    paths: list[Path],
    fast: bool,
    threads: int | None,
    options: _Options,
    processes: int,
    block_size: int,
    start_method: str,
) -> Iterator[Entity]:
    context = multiprocessing.get_context(start_method)
    pending: collections.deque[Any] = collections.deque()
    limit = processes * 3  # blocks in flight: bounds memory whatever the dump size
    with context.Pool(processes) as pool:

        def drain(block_until: int) -> Iterator[Entity]:
            while len(pending) > block_until:
                entities, error = pending.popleft().get()
                yield from entities
                if error is not None:
                    raise SourceFormatError(*error)

        for path in paths:
            for item in iter_raw(
                path,
                fast=fast,
                threads=threads,
                blocks=True,
                block_size=block_size,
                parallel_gzip=options.parallel_gzip,
            ):
                if isinstance(item, RawBlock):
                    pending.append(pool.apply_async(_parse_block, (item, fast, options)))
                    yield from drain(limit)
                    continue
                yield from drain(0)
                entity = _convert(item, str(path), "document", options)
                if entity is not None:
                    yield entity
        yield from drain(0)


def iter_entities(
    paths: Iterable[PathLike] | PathLike,
    language: str = "en",
    *,
    fast: bool = True,
    processes: int = 1,
    threads: int | None = None,
    kinds: Iterable[str] | None = None,
    properties: Iterable[str] | None = None,
    special_values: bool = False,
    block_size: int = 1 << 20,
    start_method: str = "forkserver",
    parallel_gzip: bool = False,
) -> Iterator[Entity]:
    """Stream :class:`Entity` records from Wikidata files (folders expand to their ``*.json*`` files).

    ``fast`` selects ``orjson`` + parallel bzip2 decompression (``indexed_bzip2`` with ``threads``; gzip goes
    through zlib unless ``parallel_gzip=True`` picks ``rapidgzip``, whose index grows with the file);
    ``fast=False`` is the plain ``json`` + ``bz2``/``gzip`` path. ``processes > 1`` parses dump lines in worker
    processes, ``block_size`` bytes of whole lines per task (also the read size of the serial path) (order is kept; at most ``3 * processes`` blocks
    are in flight, so memory stays bounded; ``start_method`` is the
    multiprocessing start method, ``"forkserver"`` being safe in threaded programs). ``kinds`` keeps only these
    entity types (``{"item"}``, ``{"item", "property"}``); ``properties`` keeps only the statements of these
    properties (much less work and transfer over a full dump); ``None`` keeps all. Malformed input raises
    :class:`~knowbench.errors.SourceFormatError` naming file and line/byte.

    Example:
        >>> from pathlib import Path
        >>> from knowbench.datasets_src.evowiki.wikidata import iter_entities
        >>> folder = Path("../shared/data/wiki/wikidata")
        >>> [e.label for e in iter_entities(folder / "qwikidata_wd_Q42_2018-07-27.json")]  # doctest: +SKIP
        ['Douglas Adams']
    """
    path_list = as_paths(paths)
    options = _Options(
        language=language,
        special_values=special_values,
        kinds=frozenset(kinds) if kinds is not None else None,
        properties=frozenset(properties) if properties is not None else None,
        parallel_gzip=parallel_gzip,
    )
    if processes <= 1:
        yield from _serial(path_list, fast, threads, options, block_size)
    else:
        yield from _parallel(path_list, fast, threads, options, processes, block_size, start_method)


def default_processes() -> int:
    """A sensible worker count for :func:`iter_entities`: the CPUs this process may use, minus one for reading."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, available - 1)


__all__ = [
    "default_processes",
    "iter_documents",
    "iter_entities",
    "parse_entity",
    "parse_statements",
    "render_value",
]
