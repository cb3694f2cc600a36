"""File helpers shared by builders and long runs: outputs that never destroy, durable logs, one run folder.

- :func:`atomic_dir` writes a whole output folder beside ``--out`` and swaps it in only on success. ``--out`` may be
  missing, empty, or a previous knowbench output of the same kind; anything else (a user's folder, a file, the
  current folder) is refused with :class:`~knowbench.errors.OutputError` and left untouched. Temporary folders of
  a killed build (``.NAME.tmp-*``, marked inside) are removed by the next build of the same ``--out``.
- :class:`RunLog` is an append-only JSON-lines log, durable after every append; a torn last line is cut off.
- :class:`RunFolder` is the one resumable run folder (``config.json`` marks it and is checked on resume).
- JSON and JSON-lines reading and atomic writing (:func:`read_json`, :func:`iter_jsonl`, :func:`atomic_write_json`,
  ...) live in :mod:`knowbench.jsonio` and are re-exported here.

Example:
    >>> import tempfile, pathlib
    >>> from knowbench.io import atomic_dir, RunLog
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_dir(root / "out", kind="demo") as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> (root / "out" / "a.txt").read_text()
    'x'
    >>> _ = (root / "mine").mkdir(); _ = (root / "mine" / "notes.txt").write_text("keep")
    >>> with atomic_dir(root / "mine", kind="demo") as tmp:
    ...     pass
    Traceback (most recent call last):
    ...
    knowbench.errors.OutputError: ...mine: not a knowbench output (no provenance.json or .knowbench-output.json); refusing to replace it, choose another --out
    >>> log = RunLog(root / "run" / "samples.jsonl")
    >>> log.append({"id": "a", "value": 1})
    >>> sorted(log.done_ids())
    ['a']
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mmap
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from knowbench.errors import ConfigError, OutputError, RunStateError, SourceFormatError
from knowbench.jsonio import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_jsonl,
    atomic_write_text,
    iter_jsonl,
    jsonl_bytes,
    read_json,
    read_jsonl,
)

__all__ = [  # knowbench.jsonio's helpers are re-exported: callers import them from here
    "OUTPUT_MARKER", "RUN_CONFIG", "RUN_MARKER", "TMP_MARKER", "RunFolder", "RunLog", "SourceInfo", "atomic_dir",
    "atomic_write_bytes", "atomic_write_json", "atomic_write_jsonl", "atomic_write_text", "check_output_dir",
    "check_output_file", "iter_jsonl", "jsonl_bytes", "output_kind", "read_json", "read_jsonl", "read_run_config",
    "sha256_file"
]

#: written inside every temporary output folder, so a later build removes only folders knowbench made
TMP_MARKER = ".knowbench-tmp"
#: written into an output folder that has no ``provenance.json`` of its own, naming its kind
OUTPUT_MARKER = ".knowbench-output.json"
#: the key of ``config.json`` that marks a knowbench run folder and names its kind
RUN_MARKER = "knowbench_run"
RUN_CONFIG = "config.json"


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


def _read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing, unreadable or not an object."""
    try:
        return read_json(path, dict)
    except (SourceFormatError, OSError):
        return None


def _read_run_json(path: Path, what: str, expected: type = dict) -> Any:
    """:func:`read_json` for a file of a run folder: a malformed one is a corrupt run, a :class:`RunStateError`."""
    try:
        return read_json(path, expected, "a JSON object")
    except SourceFormatError as error:
        detail = ": ".join(part for part in (error.where, error.problem) if part)
        raise RunStateError(f"{path}: corrupt {what} ({detail})") from None


def output_kind(folder: str | os.PathLike[str]) -> str | None:
    """The kind of knowbench output ``folder`` holds (a dataset name, ``counts``, ...), or None if it is none.

    A built dataset names itself in ``provenance.json`` (``dataset``); other outputs in ``.knowbench-output.json``.
    """
    folder = Path(folder)
    provenance = _read_json_object(folder / "provenance.json")
    if provenance is not None and isinstance(provenance.get("dataset"), str):
        return str(provenance["dataset"])
    marker = _read_json_object(folder / OUTPUT_MARKER)
    if marker is not None and isinstance(marker.get("kind"), str):
        return str(marker["kind"])
    return None


def _refuse_working_folder(target: Path, what: str) -> None:
    cwd = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise OutputError(f"{target}: is the current folder or holds it; refusing to replace it, choose another {what}")


def check_output_dir(target: str | os.PathLike[str], kind: str) -> None:
    """Raise :class:`OutputError` unless ``target`` is missing, an empty folder or a knowbench output of ``kind``."""
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    _refuse_working_folder(target, "--out")
    if target.is_symlink() or not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder; refusing to replace it, choose another --out")
    if not any(target.iterdir()):
        return
    found = output_kind(target)
    if found is None:
        raise OutputError(
            f"{target}: not a knowbench output (no provenance.json or {OUTPUT_MARKER}); refusing to replace it, "
            "choose another --out"
        )
    if found != kind:
        raise OutputError(f"{target}: holds a knowbench {found!r} output, not {kind!r}; choose another --out")


def check_output_file(path: str | os.PathLike[str], kind: str) -> None:
    """Raise :class:`OutputError` unless ``path`` is missing or a JSON report knowbench wrote with ``"knowbench": kind``."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or not path.is_file():
        raise OutputError(f"{path}: exists and is not a file; refusing to replace it, choose another --out")
    document = _read_json_object(path)
    if document is None or document.get("knowbench") != kind:
        raise OutputError(f"{path}: not a knowbench {kind} report; refusing to replace it, choose another --out")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(target: Path) -> None:
    """Remove temporary folders a killed build of ``target`` left beside it (only those knowbench marked)."""
    host = socket.gethostname()
    for tmp in target.parent.glob(f".{target.name}.tmp-*"):
        marker = _read_json_object(tmp / TMP_MARKER)
        if marker is None:
            continue  # not made by knowbench (or not yet marked): not ours to remove
        pid = marker.get("pid")
        if marker.get("host") == host and isinstance(pid, int) and pid != os.getpid() and _process_alive(pid):
            continue  # a build still running
        shutil.rmtree(tmp, ignore_errors=True)
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        if output_kind(old) is None:
            continue
        if not target.exists():  # killed between the two renames: the previous output comes back
            os.rename(old, target)
        else:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str], kind: str | None = None) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; on success it replaces ``target``.

    With ``kind`` (a command's ``--out``), ``target`` must be missing, empty or a knowbench output of that kind
    (:func:`check_output_dir`), and the output is marked with its kind unless it writes its own ``provenance.json``.
    Without ``kind`` the caller vouches for ``target`` (a folder inside its own run folder). If the body raises,
    the temporary folder is removed and ``target`` is left as it was.
    """
    target = Path(target).absolute()
    if kind is not None:
        check_output_dir(target, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        (tmp / TMP_MARKER).write_bytes(orjson.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        yield tmp
        (tmp / TMP_MARKER).unlink(missing_ok=True)
        if kind is not None and not (tmp / "provenance.json").exists():
            atomic_write_json(tmp / OUTPUT_MARKER, {"kind": kind})
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
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as handle:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                if view[-1:] == b"\n":
                    return
                keep = view.rfind(b"\n") + 1  # 0 when not one line is whole
            handle.truncate(keep)

    def numbered(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(1-based line number, record)`` of every record."""
        if self.path.exists():
            yield from iter_jsonl(self.path)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record, in the order written."""
        for _, record in self.numbered():
            yield record

    def done_ids(self) -> set[str]:
        """The ids of every record; a record without one raises naming the file and line."""
        ids: set[str] = set()
        for number, record in self.numbered():
            key = record.get(self.id_field)
            if key is None:
                raise SourceFormatError(self.path, f"line {number}", f"record without {self.id_field!r}")
            ids.add(key)
        return ids

    def append(self, record: dict[str, Any]) -> None:
        """Append one record durably."""
        self.extend([record])

    def extend(self, records: list[dict[str, Any]]) -> None:
        """Append several records in one durable write."""
        if not records:
            return
        data = jsonl_bytes(records)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)


def _canonical(obj: Any) -> Any:
    """JSON round trip so tuples/lists and key order never make equal configs look different."""
    return orjson.loads(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_run_config(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``config.json`` of run folder ``path`` (marker included), or None when ``path`` is missing or empty.

    Raises :class:`RunStateError` (one line) for a file, a folder that is not a knowbench run folder, or a
    corrupt ``config.json``.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_dir():
        raise RunStateError(f"{path}: exists and is not a folder; choose another --out")
    config_file = path / RUN_CONFIG
    if not config_file.exists():
        if any(path.iterdir()):
            _refuse_working_folder(path, "--out")
            raise RunStateError(f"{path}: not a knowbench run folder (no {RUN_CONFIG}); choose another --out")
        return None
    config = _read_run_json(config_file, "run config", object)
    if not isinstance(config, dict) or not isinstance(config.get(RUN_MARKER), str):
        raise RunStateError(f"{config_file}: not a knowbench run config (no {RUN_MARKER!r} key); choose another --out")
    return config


class RunFolder:
    """One resumable run: ``config.json`` (what the run is, and the marker of a knowbench run folder), logs,
    ``metrics.json``, ``stages/<name>.json``, atomic ``checkpoints/<name>.pt`` and ``plots/``.

    Opening it again with the same ``kind`` and ``config`` resumes it; another config is a one-line
    :class:`RunStateError` naming what differs, unless ``overwrite`` (then the old run folder, and only a knowbench
    run folder, is deleted and the run starts afresh). Keys in ``volatile`` may change on resume and are recorded
    anew; keys in ``keep_first`` may change and keep their first value (e.g. ``created_at``). ``on_create`` writes
    the files a fresh run needs before ``config.json`` marks the start complete.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> run = RunFolder(root / "r", {"lr": 0.1}, kind="demo")
        >>> run.stage("count", lambda: {"facts": 3})
        {'facts': 3}
        >>> run.stage("count", lambda: 1 / 0)  # finished stages are not run again
        {'facts': 3}
        >>> run.update_metrics({"loss": 2.5})["loss"]
        2.5
        >>> RunFolder(root / "r", {"lr": 0.2}, kind="demo")
        Traceback (most recent call last):
        ...
        knowbench.errors.RunStateError: ...r: this run folder holds another run (lr: 0.1 -> 0.2); use another --out or --overwrite
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: Mapping[str, Any],
        kind: str = "run",
        overwrite: bool = False,
        volatile: tuple[str, ...] = (),
        keep_first: tuple[str, ...] = (),
        on_create: Callable[[Path], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.kind = kind
        config = _canonical(dict(config))
        if RUN_MARKER in config:
            raise ConfigError(f"a run config may not hold the key {RUN_MARKER!r}")
        try:
            recorded = self.check(self.path, config, kind, volatile=volatile, keep_first=keep_first)
        except RunStateError:
            if not overwrite or read_run_config(self.path) is None:
                raise  # only a knowbench run folder (config.json with its marker) is ever deleted
            _refuse_working_folder(self.path, "--out")
            shutil.rmtree(self.path)
            recorded = None
        self.resumed = recorded is not None
        if recorded is None:  # a fresh start appears whole (files of on_create, then config.json) or not at all
            self.config = config
            if self.path.is_dir():  # an empty folder
                self._start(self.path, on_create)
            else:
                with atomic_dir(self.path) as tmp:
                    self._start(tmp, on_create)
        else:
            recorded.pop(RUN_MARKER)
            updated = {**recorded, **{k: config[k] for k in volatile if k in config}}
            if updated != recorded:
                atomic_write_json(self.path / RUN_CONFIG, {**updated, RUN_MARKER: kind})
            self.config = updated

    def _start(self, folder: Path, on_create: Callable[[Path], None] | None) -> None:
        if on_create is not None:
            on_create(folder)
        atomic_write_json(folder / RUN_CONFIG, {**self.config, RUN_MARKER: self.kind})

    @staticmethod
    def check(
        path: str | os.PathLike[str],
        config: Mapping[str, Any],
        kind: str,
        volatile: tuple[str, ...] = (),
        keep_first: tuple[str, ...] = (),
        partial: bool = False,
    ) -> dict[str, Any] | None:
        """Check, writing nothing, that ``config`` may start or resume the run folder ``path``.

        Returns the recorded config (None for a fresh start). With ``partial`` only the keys of ``config`` are
        compared (a check before the full config is known, e.g. before a model is loaded).
        """
        recorded = read_run_config(path)
        if recorded is None:
            return None
        if recorded[RUN_MARKER] != kind:
            raise RunStateError(f"{path}: holds a {recorded[RUN_MARKER]!r} run, not {kind!r}; use another --out")
        config = _canonical(dict(config))
        free = set(volatile) | set(keep_first) | {RUN_MARKER}
        keys = set(config) if partial else set(config) | set(recorded)
        differs = sorted(k for k in keys - free if recorded.get(k) != config.get(k))
        if differs:
            detail = ", ".join(f"{k}: {_short(recorded.get(k))} -> {_short(config.get(k))}" for k in differs)
            raise RunStateError(f"{path}: this run folder holds another run ({detail}); use another --out or --overwrite")
        return recorded

    def log(self, name: str, id_field: str = "id") -> RunLog:
        """The append-only log ``name`` of this run (a torn last line is repaired on opening)."""
        return RunLog(self.path / name, id_field=id_field)

    # ----------------------------------------------------------------------------------------------- stages
    def stage_file(self, name: str) -> Path:
        return self.path / "stages" / f"{name}.json"

    def stage_done(self, name: str) -> bool:
        return self.stage_file(name).exists()

    def stage_result(self, name: str) -> Any:
        return _read_run_json(self.stage_file(name), "stage result", object)

    def stage(self, name: str, compute: Callable[[], Any]) -> Any:
        """Return the stored result of stage ``name``, or compute, store (atomically) and return it."""
        if self.stage_done(name):
            return self.stage_result(name)
        result = _canonical(compute())
        atomic_write_json(self.stage_file(name), result)
        return result

    # ----------------------------------------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, Any]:
        """The merged contents of ``metrics.json`` ({} before the first update)."""
        file = self.path / "metrics.json"
        if not file.exists():
            return {}
        return dict(_read_run_json(file, "metrics"))

    def update_metrics(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into ``metrics.json`` (atomically) and return the whole mapping."""
        merged = self.metrics()
        merged.update(_canonical(dict(values)))
        atomic_write_json(self.path / "metrics.json", merged)
        return merged

    # ----------------------------------------------------------------------------------------------- checkpoints
    def checkpoint_path(self, name: str) -> Path:
        folder = self.path / "checkpoints"
        folder.mkdir(exist_ok=True)
        return folder / f"{name}.pt"

    def save_checkpoint(self, name: str, state: Mapping[str, Any]) -> Path:
        """``torch.save`` ``state`` to ``checkpoints/<name>.pt`` atomically (temporary file, fsync, rename)."""
        import torch

        buffer = io.BytesIO()
        torch.save(dict(state), buffer)
        path = self.checkpoint_path(name)
        atomic_write_bytes(path, buffer.getvalue())
        return path

    def load_checkpoint(self, name: str) -> dict[str, Any] | None:
        """The state saved under ``name``, or None when there is none yet."""
        path = self.checkpoint_path(name)
        if not path.exists():
            return None
        import torch

        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except Exception as error:  # a checkpoint is written atomically, so this is corruption from outside
            raise RunStateError(f"{path}: unreadable checkpoint ({error})") from None

    def remove_checkpoint(self, name: str) -> None:
        self.checkpoint_path(name).unlink(missing_ok=True)

    def plot_path(self, name: str) -> Path:
        folder = self.path / "plots"
        folder.mkdir(exist_ok=True)
        return folder / name
