"""File helpers shared by builders and long runs: atomic outputs, durable append-only logs, hashing.

Example:
    >>> import tempfile, pathlib
    >>> from knowbench.io import atomic_dir, RunLog
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_dir(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> (root / "out" / "a.txt").read_text()
    'x'
    >>> log = RunLog(root / "run" / "samples.jsonl")
    >>> log.append({"id": "a", "value": 1})
    >>> sorted(log.done_ids())
    ['a']
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from knowbench.errors import RunStateError, SourceFormatError


@dataclass(frozen=True)
class SourceInfo:
    """Where an input came from, recorded in ``provenance.json`` and the card."""

    uri: str
    sha256: str | None = None
    revision: str | None = None
    size_bytes: int | None = None
    description: str = ""


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; on success it replaces ``target``.

    If the body raises, the temporary folder is removed and ``target`` is left as it was (absent, or the
    previous build), so a failed build never leaves a half-written folder.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        _fsync_dir(tmp)
        if target.exists():
            old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    atomic_write_bytes(path, orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` per non-blank line; a malformed line raises naming file and line."""
    with open(path, "rb") as handle:
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


class RunLog:
    """An append-only JSON-lines log of completed work items, durable after every append.

    Each record carries a unique ``id`` (the key ``id_field``). A run killed at any moment (even SIGKILL in the
    middle of a write) resumes by reading :meth:`done_ids`: a torn last line is cut off, complete lines are kept, so
    no item is lost or repeated.
    """

    def __init__(self, path: str | os.PathLike[str], id_field: str = "id", fsync: bool = True) -> None:
        self.path = Path(path)
        self.id_field = id_field
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair()

    def _repair(self) -> None:
        """Cut a torn (unterminated) last line left by a crash."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            # find the last newline and truncate after it
            position = size - 1
            block = 1 << 16
            while position > 0:
                start = max(0, position - block)
                handle.seek(start)
                data = handle.read(position - start)
                cut = data.rfind(b"\n")
                if cut >= 0:
                    handle.truncate(start + cut + 1)
                    return
                position = start
            handle.truncate(0)

    def records(self) -> Iterator[dict[str, Any]]:
        if self.path.exists():
            yield from read_jsonl(self.path)

    def done_ids(self) -> set[str]:
        ids: set[str] = set()
        for record in self.records():
            key = record.get(self.id_field)
            if key is None:
                raise RunStateError(f"{self.path}: record without {self.id_field!r}: {str(record)[:200]}")
            ids.add(key)
        return ids

    def append(self, record: dict[str, Any]) -> None:
        self.extend([record])

    def extend(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        data = b"".join(orjson.dumps(r) + b"\n" for r in records)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
