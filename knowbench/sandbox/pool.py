"""``ToolSandbox``: the evaluator's side of the sandbox, a pool of warm worker processes.

Each worker (``_worker.py``, started with ``python -s -S -P`` in its own session) forks one confined child per call,
so a misbehaving tool never leaves anything behind; a worker that stops answering is killed with its whole
process group and replaced.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from knowbench.errors import ToolExecutionError
from knowbench.sandbox._frames import encode_frame, read_frame
from knowbench.sandbox._source import example_calls as _example_calls
from knowbench.sandbox.interface import SandboxLimits, ToolResult

_WORKER = Path(__file__).with_name("_worker.py")
_GRACE_S = 5.0  # how long past a call's wall limit the worker itself may take to answer
_START_S = 30.0


def _default_python() -> str:
    """This interpreter, or another Python of the same version when this user may not execute it (a venv whose
    base interpreter lives in another user's home). The worker uses the standard library only."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, getattr(sys, "_base_executable", ""), shutil.which(version) or "",
                      f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if candidate and os.access(candidate, os.X_OK) and os.access(os.path.realpath(candidate), os.X_OK):
            return candidate
    return sys.executable


class _WorkerDied(Exception):
    pass


class _Worker:
    """One zygote process and its pipes."""

    def __init__(self, root: Path, index: int, network_namespace: bool, python: str) -> None:
        self.dir = root / f"worker-{index}"
        self.work_dir = self.dir / "work"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = {"work_dir": str(self.work_dir), "network_namespace": network_namespace}
        self._log = open(self.dir / "worker.log", "ab")
        self.process = subprocess.Popen(
            # isolated like -I (no site, no user site, no script folder on sys.path, an environment of our own)
            # but with a fixed hash seed, so set and dict orders, and thus tool outputs, repeat from run to run
            [python, "-s", "-S", "-P", str(_WORKER), json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, cwd=self.dir,
            start_new_session=True, close_fds=True,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"},
        )
        self.hello: dict[str, Any] | None = None
        self.next_id = 0

    def read(self, deadline: float) -> dict[str, Any]:
        """The worker's next frame; :class:`TimeoutError` past ``deadline``, ``_WorkerDied`` when its pipe ends."""
        fd = self.process.stdout.fileno()  # type: ignore[union-attr]

        def wait() -> None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError

        frame = read_frame(fd, wait)
        if frame is None:
            raise _WorkerDied
        return frame  # type: ignore[return-value]

    def send(self, obj: dict[str, Any]) -> None:
        try:
            self.process.stdin.write(encode_frame(obj))  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError):
            raise _WorkerDied from None

    def ensure_started(self) -> dict[str, Any]:
        if self.hello is None:
            try:
                self.hello = self.read(time.monotonic() + _START_S)
            except (TimeoutError, _WorkerDied, ValueError):
                log = (self.dir / "worker.log").read_text(errors="replace")[-2000:]
                self.close()
                raise ToolExecutionError(f"the sandbox worker did not start: {log.strip() or 'no output'}") from None
        return self.hello

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self._log.close()


class ToolSandbox:
    """Run dataset tool code in isolated, confined worker processes.

    Each call forks a fresh child of a warm worker; the child has no network, can write only inside a private
    temporary folder and read only Python's library folders, cannot start processes, and runs under CPU, memory,
    open-file, file-size, output and wall-time limits. Example-usage code at the end of a source is stripped, and
    anything the call prints is captured into ``ToolResult.stdout``.

    Example:
        >>> with ToolSandbox(workers=1) as sandbox:  # doctest: +SKIP
        ...     sandbox.call("def add(a, b):\\n    return a + b", "add", {"a": 1, "b": 2}).value
        3
    """

    def __init__(self, workers: int = 2, limits: SandboxLimits | None = None, network_namespace: bool = True,
                 python: str | None = None) -> None:
        if workers < 1:
            raise ToolExecutionError(f"ToolSandbox needs at least one worker, got workers={workers!r}")
        self.limits = limits or SandboxLimits()
        self.network_namespace = network_namespace
        self.python = python or _default_python()
        self._root = Path(tempfile.mkdtemp(prefix="knowbench-sandbox-"))
        os.chmod(self._root, 0o700)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._count = 0
        self._closed = False
        self._all: list[_Worker] = []
        for _ in range(workers):
            self._idle.put(self._spawn())
        self.restarts = 0

    def _spawn(self) -> _Worker:
        with self._lock:
            index = self._count
            self._count += 1
        worker = _Worker(self._root, index, self.network_namespace, self.python)
        self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.close()
        self._all.remove(worker)
        shutil.rmtree(worker.dir, ignore_errors=True)
        self.restarts += 1
        return self._spawn()

    def call(self, source: str, fn_name: str, arguments: dict[str, Any], timeout: float | None = None) -> ToolResult:
        """Define ``source`` in a fresh confined process and return ``fn_name(**arguments)``.

        ``timeout`` (seconds of wall time) overrides ``limits.wall_seconds`` for this call. Tool failures of any
        kind come back as ``ToolResult(ok=False, error_kind=...)``; only a sandbox that cannot start raises.
        """
        started = time.perf_counter()
        if not isinstance(arguments, dict) or not all(isinstance(k, str) for k in arguments):
            return ToolResult(False, None, f"arguments must be an object with string keys, got {arguments!r:.200}",
                              "bad_arguments", "", time.perf_counter() - started)
        wall = float(timeout if timeout is not None else self.limits.wall_seconds)
        request = {"op": "call", "source": source, "fn": fn_name, "args": arguments,
                   "limits": self.limits.to_dict(), "wall_seconds": wall}
        try:
            json.dumps(request)
        except (TypeError, ValueError) as error:
            return ToolResult(False, None, f"arguments are not JSON: {error}", "bad_arguments", "",
                              time.perf_counter() - started)
        if self._closed:
            raise ToolExecutionError("this ToolSandbox is closed")
        worker = self._idle.get()
        if not worker.alive():  # died between calls (killed from outside): replace it before using it
            worker = self._replace(worker)
        try:
            response = self._exchange(worker, request, wall)
        except (_WorkerDied, TimeoutError, ValueError) as error:
            kind = "timeout" if isinstance(error, TimeoutError) else "crash"
            response = {"ok": False, "error": f"the sandbox worker {'stopped answering' if kind == 'timeout' else 'died'}"
                        f" during the call", "error_kind": kind}
            worker = self._replace(worker)
        except BaseException:  # e.g. KeyboardInterrupt mid-call: the worker's answer would come late, replace it
            worker = self._replace(worker)
            raise
        finally:
            self._idle.put(worker)
        return ToolResult(
            ok=bool(response.get("ok")),
            value=response.get("value"),
            error=response.get("error"),
            error_kind=response.get("error_kind"),
            stdout=response.get("stdout") or "",
            duration_s=time.perf_counter() - started,
        )

    def _exchange(self, worker: _Worker, request: dict[str, Any], wall: float) -> dict[str, Any]:
        if not worker.alive():
            raise _WorkerDied
        worker.ensure_started()
        worker.next_id += 1
        request["id"] = worker.next_id
        worker.send(request)
        response = worker.read(time.monotonic() + wall + _GRACE_S)
        if response.get("id") != request["id"]:
            raise _WorkerDied
        if "layers" in response:
            self._layers = response["layers"]
        return response

    def layers(self) -> dict[str, Any]:
        """Which confinement layers a call gets on this machine (runs one trivial call to find out)."""
        self._layers: dict[str, Any] = {}
        self.call("def probe():\n    return 1", "probe", {})
        return dict(self._layers)

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (each leads its own session; its children share that session)."""
        return [worker.process.pid for worker in self._all if worker.alive()]

    def example_calls(self, source: str, fn_name: str) -> list[dict[str, Any]]:
        """Argument dicts of the example-usage calls of ``fn_name`` in ``source`` (found with ``ast``, never run)."""
        return _example_calls(source, fn_name)

    def close(self) -> None:
        """Stop every worker (killing its process group) and remove the private folders."""
        if self._closed:
            return
        self._closed = True
        for worker in list(self._all):
            worker.close()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> ToolSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
