"""JSON and JSON-lines files: read with one-line errors that name the file and record, written atomically.

Every reader fails with a :class:`~knowbench.errors.KnowbenchError` naming the file (and the line, for JSON lines):
:class:`~knowbench.errors.MissingInputError` when there is no file, :class:`~knowbench.errors.SourceFormatError`
when it is malformed or holds another type. Every writer goes through a temporary file, fsync and a rename, so a
reader never sees half a file. (:mod:`knowbench.io` re-exports all of these.)

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
    >>> atomic_write_jsonl(path, [{"id": "a"}, {"id": "b"}])
    >>> [(number, row["id"]) for number, row in iter_jsonl(path)]
    [(1, 'a'), (2, 'b')]
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from knowbench.errors import MissingInputError, SourceFormatError


def read_json(
    path: str | os.PathLike[str], expected: type | tuple[type, ...] = dict, what: str = "a JSON object"
) -> Any:
    """The JSON value in ``path`` (gzip-compressed when the name ends in ``.gz``), of type ``expected``.

    Every failure is one line naming the file: :class:`~knowbench.errors.MissingInputError` when there is no
    file; :class:`~knowbench.errors.SourceFormatError` when it is unreadable, malformed (line and column) or holds
    another type (``what`` says what was expected).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.json").write_text('{"n": 1}')
        >>> read_json(folder / "a.json")
        {'n': 1}
        >>> _ = (folder / "b.json").write_text('[1, 2]')
        >>> read_json(folder / "b.json", dict, "an object relation -> templates")
        Traceback (most recent call last):
        ...
        knowbench.errors.SourceFormatError: .../b.json: expected an object relation -> templates, got list
        >>> _ = (folder / "c.json").write_text('{"n": 1,')
        >>> read_json(folder / "c.json")
        Traceback (most recent call last):
        ...
        knowbench.errors.SourceFormatError: .../c.json: line 1, column 9: malformed JSON (unexpected end of data)
    """
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except FileNotFoundError:
        raise MissingInputError(path, "file") from None
    except (OSError, EOFError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise SourceFormatError(path, None, f"unreadable ({reason})") from None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise SourceFormatError(path, where, f"malformed JSON ({error.msg})") from None
    if not isinstance(value, expected):
        raise SourceFormatError(path, None, f"expected {what}, got {type(value).__name__}")
    return value


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically."""
    atomic_write_bytes(path, orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def jsonl_bytes(records: Iterable[Any]) -> bytes:
    """``records`` as JSON lines (one compact JSON value and a newline each)."""
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def atomic_write_jsonl(path: str | os.PathLike[str], records: Iterable[Any]) -> None:
    """Write ``records`` as JSON lines to ``path`` atomically."""
    atomic_write_bytes(path, jsonl_bytes(records))



def iter_jsonl(path: str | os.PathLike[str], what: str = "JSON-lines file") -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` per non-blank line; a malformed line raises naming file and line.

    A name ending in ``.gz`` is read through gzip. A missing ``path`` raises
    :class:`~knowbench.errors.MissingInputError` (no such ``what``).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.jsonl"
        >>> _ = path.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
        >>> [(n, r["a"]) for n, r in iter_jsonl(path)]
        [(1, 1), (3, 2)]
    """
    try:
        handle = gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")
    except FileNotFoundError:
        raise MissingInputError(path, what) from None
    with handle:
        try:
            handle.peek(1)  # a .gz that is not gzip fails here, before the first record
        except (OSError, EOFError) as error:
            raise SourceFormatError(path, None, f"unreadable ({error})") from None
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise SourceFormatError(path, f"line {number}", f"malformed JSON ({error})") from None
            if not isinstance(record, dict):
                raise SourceFormatError(path, f"line {number}", f"expected a JSON object, got {type(record).__name__}")
            yield number, record


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSON-lines file; a malformed line raises naming file and line."""
    for _, record in iter_jsonl(path):
        yield record
