"""Open Wikidata JSON inputs (plain, gzip, bzip2) and stream their entity records in constant memory.

Three layouts are recognised from the first bytes of the (decompressed) file:

* the official JSON dump: ``[`` on the first line, then one entity per line ending in ``,``, then ``]``;
* JSON lines: one entity document (or one ``wbgetentities`` response) per line;
* one JSON document: a ``wbgetentities`` response ``{"entities": {...}}`` or a bare entity document
  (pretty-printed files are read whole; they are API responses, never dumps).

Decompression uses ``indexed_bzip2`` (parallel, ``fast=True``) or the standard ``bz2`` module for bzip2, zlib
(``gzip``) or, on request, ``rapidgzip`` (parallel; its seek index grows with the file) for gzip; parsing uses
``orjson`` (``fast=True``) or ``json``. Files are read in blocks of whole lines (1 MiB by default), so memory
does not depend on the dump size. The legacy 2014 XML serialization
(``sample-daily-dump-20140220.xml``) is not supported.

Example:
    >>> import gzip, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dump.json.gz"
    >>> _ = path.write_bytes(gzip.compress(b'[\\n{"id": "Q1", "type": "item"},\\n{"id": "Q2", "type": "item"}\\n]\\n'))
    >>> [doc["id"] for doc in iter_documents([path])]
    ['Q1', 'Q2']
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from knowbench.errors import SourceFormatError

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One undecoded dump/JSON-lines record: the line bytes and where they came from (for error messages)."""

    path: str
    line: int
    offset: int  # byte offset of the line in the decompressed stream
    data: bytes


def _compression(path: Path) -> str | None:
    with open(path, "rb") as handle:
        magic = handle.read(3)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == b"BZh":
        return "bz2"
    return None


def _default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@contextlib.contextmanager
def open_decompressed(
    path: PathLike, fast: bool = True, threads: int | None = None, parallel_gzip: bool = False
) -> Iterator[IO[bytes]]:
    """Open ``path`` as a binary stream, decompressing gzip/bzip2 (detected from magic bytes).

    ``fast`` decompresses bzip2 in parallel with ``indexed_bzip2`` (``threads`` threads, default: CPUs, at most
    8). gzip uses zlib (``gzip`` module), which is rarely the bottleneck and runs in constant memory;
    ``parallel_gzip=True`` uses ``rapidgzip`` instead, whose in-memory seek index grows with the file (measured
    by ``bench/bench_evowiki_stream.py``), so use it for files that fit the memory budget.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(path, None, "file not found")
    kind = _compression(path)
    threads = threads or _default_threads()
    if kind is None:
        with open(path, "rb") as handle:
            yield handle
    elif kind == "bz2":
        if fast:
            import indexed_bzip2

            with indexed_bzip2.open(str(path), parallelization=threads) as handle:
                yield handle
        else:
            with bz2.open(path, "rb") as handle:
                yield handle
    else:
        if fast and parallel_gzip:
            import rapidgzip

            with rapidgzip.open(str(path), parallelization=threads) as handle:
                yield handle
        else:
            with gzip.open(path, "rb") as handle:
                yield handle


def _gzip_trailer_size(path: Path) -> int | None:
    """ISIZE field of the last gzip member (uncompressed size mod 2**32), or ``None`` for non-gzip files."""
    if _compression(path) != "gzip":
        return None
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() < 18:
            return -1
        handle.seek(-4, os.SEEK_END)
        return struct.unpack("<I", handle.read(4))[0]


def _check_complete(path: Path, parallel_gzip: bool, total: int) -> None:
    """rapidgzip returns the readable part of a truncated gzip file silently; compare with the trailer size."""
    if not parallel_gzip:
        return
    expected = _gzip_trailer_size(path)
    if expected is not None and expected != total % (1 << 32):
        raise SourceFormatError(
            path,
            f"byte {total}",
            f"gzip stream is truncated or corrupt (trailer size {expected}, read {total} bytes)",
        )


def _translate_io_error(path: Path, offset: int, line: int, error: BaseException) -> SourceFormatError:
    kind = _compression(path) or "plain"
    size = path.stat().st_size
    return SourceFormatError(
        path,
        f"line {line} (decompressed byte {offset})",
        f"{kind} stream of {size} bytes ends early or is corrupt after the complete lines read so far "
        f"({type(error).__name__}: {error})",
    )


def _strip_dump_line(line: bytes) -> bytes:
    line = line.rstrip()
    if line.endswith(b","):
        line = line[:-1]
    return line


@dataclass(frozen=True, slots=True)
class RawBlock:
    """Whole lines of a dump or JSON-lines file (about ``block_size`` bytes), for parsing in a worker process."""

    path: str
    line: int  # number of the first line in the block
    offset: int  # byte offset of the block in the decompressed stream
    dump: bool  # dump layout (lines end in "," and a "]" line closes the dump) rather than JSON lines
    data: bytes


def block_records(block: RawBlock) -> Iterator[RawRecord]:
    """The non-blank lines of a block as :class:`RawRecord` (dump lines without their comma, no ``]``)."""
    line_no, offset, closed = block.line, block.offset, False
    for line in block.data.split(b"\n"):
        stripped = _strip_dump_line(line) if block.dump else line.strip()
        if stripped:
            if closed:
                raise SourceFormatError(
                    block.path, f"line {line_no}", "data after the closing ']' of the dump"
                )
            if block.dump and stripped == b"]":
                closed = True
            else:
                yield RawRecord(block.path, line_no, offset, stripped)
        line_no, offset = line_no + 1, offset + len(line) + 1


def _read_first_line(stream: IO[bytes], chunk_size: int) -> tuple[bytes, bytes, int, int]:
    """(first non-blank line, the bytes read after it, blank lines skipped, bytes skipped)."""
    data, skipped_lines, skipped_bytes = b"", 0, 0
    while True:
        cut = data.find(b"\n")
        if cut < 0:
            chunk = stream.read(chunk_size)
            if not chunk:
                return data, b"", skipped_lines, skipped_bytes
            data += chunk
            continue
        line, data = data[: cut + 1], data[cut + 1 :]
        if line.strip():
            return line, data, skipped_lines, skipped_bytes
        skipped_lines, skipped_bytes = skipped_lines + 1, skipped_bytes + len(line)


def _blocks(stream: IO[bytes], pending: bytes, block_size: int) -> Iterator[bytes]:
    """Chunks of the stream cut after their last newline (the last chunk may lack one)."""
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            break
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        yield data[: cut + 1]
        pending = data[cut + 1 :]
    if pending:
        yield pending


def iter_raw(
    path: PathLike,
    fast: bool = True,
    threads: int | None = None,
    blocks: bool = False,
    block_size: int = 1 << 20,
    parallel_gzip: bool = False,
) -> Iterator[RawRecord | RawBlock | dict[str, Any]]:
    """Yield the records of one file: :class:`RawRecord` lines (or, with ``blocks``, :class:`RawBlock` runs of
    lines) for dumps and JSON lines, dicts for single documents.

    A dump line is yielded without its trailing comma. Truncated compressed input or a dump without its closing
    ``]`` raises :class:`SourceFormatError` naming the file and line/byte.
    """
    path = Path(path)
    line_no, offset = 0, 0
    try:
        with open_decompressed(path, fast=fast, threads=threads, parallel_gzip=parallel_gzip) as stream:
            first, rest, line_no, offset = _read_first_line(stream, block_size)
            if not first.strip():
                raise SourceFormatError(path, None, "empty file")
            head = first.lstrip()
            dump = head.startswith(b"[") and head.strip() == b"["
            if head.startswith(b"[") and not dump:  # a whole JSON array on few lines: a small file
                data = first + rest + stream.read()
                offset += len(data)
                _check_complete(path, fast and parallel_gzip, offset)
                yield from _document_records(path, _loads_whole(path, data, fast))
                return
            if not dump:
                if not head.startswith(b"{"):
                    raise SourceFormatError(
                        path, f"line {line_no + 1}", f"not JSON: starts with {head[:20]!r}"
                    )
                try:
                    first_doc = (orjson.loads if fast else json.loads)(first)
                except (orjson.JSONDecodeError, ValueError):
                    first_doc = None
                if not isinstance(first_doc, dict):  # one pretty-printed document (API response, entity)
                    data = first + rest + stream.read()
                    offset += len(data)
                    _check_complete(path, fast and parallel_gzip, offset)
                    yield from _document_records(path, _loads_whole(path, data, fast))
                    return
                rest = first + rest  # JSON lines: the first line is a record too
            else:
                line_no, offset = line_no + 1, offset + len(first)
            closed = False
            for data in _blocks(stream, rest, block_size):
                if dump:
                    if closed and data.strip():
                        raise SourceFormatError(
                            path, f"line {line_no + 1}", "data after the closing ']' of the dump"
                        )
                    cut = data.rfind(b"\n")
                    newlines = data.count(b"\n")
                    if not data.endswith(b"\n") and _strip_dump_line(data[cut + 1 :]) not in (b"]", b""):
                        raise SourceFormatError(
                            path,
                            f"line {line_no + newlines + 1} (byte {offset + cut + 1})",
                            "file ends inside a record (truncated?)",
                        )
                    tail = data.rstrip()
                    if tail:
                        closed = _strip_dump_line(tail[tail.rfind(b"\n") + 1 :]) == b"]"
                block = RawBlock(str(path), line_no + 1, offset, dump, data)
                if blocks:
                    yield block
                else:
                    yield from block_records(block)
                line_no, offset = line_no + data.count(b"\n"), offset + len(data)
            if dump and not closed:
                raise SourceFormatError(
                    path, f"line {line_no} (byte {offset})", "dump ends without its closing ']' (truncated?)"
                )
            _check_complete(path, fast and parallel_gzip, offset)
    except SourceFormatError:
        raise
    except (EOFError, OSError, RuntimeError, ValueError) as error:
        raise _translate_io_error(path, offset, line_no + 1, error) from None


def _loads_whole(path: Path, data: bytes, fast: bool) -> Any:
    try:
        return orjson.loads(data) if fast else json.loads(data)
    except (orjson.JSONDecodeError, ValueError) as error:
        raise SourceFormatError(
            path, _json_error_position(data, error), f"malformed JSON ({error})"
        ) from None


def _json_error_position(data: bytes, error: BaseException) -> str:
    position = getattr(error, "pos", None)
    if position is None:
        return "document"
    if isinstance(error, orjson.JSONDecodeError):
        # orjson reports a character position in the decoded text
        text_prefix = error.doc[:position] if isinstance(error.doc, str) else ""
        line = text_prefix.count("\n") + 1
        return f"line {line} (char {position})"
    line = getattr(error, "lineno", None)
    return f"line {line} (char {position})" if line else f"char {position}"


def _document_records(path: Path | str, doc: Any) -> Iterator[dict[str, Any]]:
    """The entity documents inside one parsed JSON value (response, bare entity, or list of either)."""
    if isinstance(doc, list):
        for item in doc:
            yield from _document_records(path, item)
        return
    if not isinstance(doc, dict):
        raise SourceFormatError(path, None, f"expected a JSON object, got {type(doc).__name__}")
    if "entities" in doc and isinstance(doc["entities"], dict):
        for key, entity in doc["entities"].items():
            if not isinstance(entity, dict):
                raise SourceFormatError(path, f"entities[{key!r}]", "expected a JSON object")
            if "missing" in entity:
                continue
            yield entity
        return
    if "error" in doc and "id" not in doc:
        raise SourceFormatError(path, None, f"API error response: {str(doc['error'])[:200]}")
    if "id" in doc:
        yield doc
        return
    raise SourceFormatError(
        path, None, f"not an entity document or wbgetentities response (keys {sorted(doc)[:8]})"
    )


def decode_record(record: RawRecord, fast: bool = True) -> Iterator[dict[str, Any]]:
    """Parse one raw line into its entity document(s); a malformed line raises naming file, line and byte."""
    try:
        doc = orjson.loads(record.data) if fast else json.loads(record.data)
    except (orjson.JSONDecodeError, ValueError) as error:
        raise SourceFormatError(
            record.path, f"line {record.line} (byte {record.offset})", f"malformed JSON ({error})"
        ) from None
    yield from _document_records(record.path, doc)


def iter_documents(
    paths: Iterable[PathLike] | PathLike, fast: bool = True, threads: int | None = None
) -> Iterator[dict[str, Any]]:
    """Yield every entity document (a dict in Wikidata's JSON shape) of the given files, in file order.

    ``missing`` entities of API responses are skipped.
    """
    for path in as_paths(paths):
        for record in iter_raw(path, fast=fast, threads=threads):
            if isinstance(record, RawRecord):
                yield from decode_record(record, fast=fast)
            else:
                yield record


def as_paths(paths: Iterable[PathLike] | PathLike) -> list[Path]:
    """Accept one path or many; expand folders to their ``*.json*`` files (sorted)."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    result: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            result.extend(sorted(p for p in path.iterdir() if p.is_file() and ".json" in p.name))
        else:
            result.append(path)
    return result
