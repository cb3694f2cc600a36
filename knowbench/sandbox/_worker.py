"""The sandbox worker: a warm "zygote" process that forks one confined, disposable child per tool call.

Run by :class:`knowbench.sandbox.ToolSandbox` as ``python -I -S _worker.py CONFIG_JSON`` in a new session. It
speaks length-prefixed JSON frames over its stdin/stdout, then points fds 0-2 at ``/dev/null`` so nothing a tool
writes can reach the evaluator. The zygote never runs tool code itself: it strips and compiles each source once
(cached by hash), forks, and the child confines itself (rlimits, no capabilities, Landlock, seccomp, audit hook)
before it executes the definitions and calls the function. Whatever the tool does, the child is thrown away.
Standard library only.
"""

from __future__ import annotations

import builtins
import gc
import hashlib
import json
import math
import os
import resource
import select
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _frames
import _kernel
import _policy
import _source

del sys.path[0]

# preloaded for the tools (ToolHop functions import these); a forked child starts with them in memory
_PRELOAD = ("re", "json", "math", "datetime", "collections", "itertools", "functools", "string", "calendar",
            "unicodedata", "random", "statistics", "decimal", "fractions", "inspect", "io", "csv", "binascii",
            "typing", "dataclasses", "enum", "operator", "textwrap", "base64", "copy", "heapq", "bisect", "difflib",
            "hashlib", "uuid", "zoneinfo", "numbers", "locale", "html", "urllib.parse",
            "_strptime", "threading")
for _name in _PRELOAD:
    try:
        __import__(_name)
    except ImportError:
        pass

_SYSTEM_READ_ROOTS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/share/zoneinfo",
                      "/etc/localtime", "/etc/ld.so.cache")


class _Capture:
    """A write-only text stream keeping at most ``limit`` bytes; past it, writing raises."""

    def __init__(self, limit: int) -> None:
        self.limit, self.parts, self.size, self.overflow = limit, [], 0, False

    def write(self, text: str) -> int:
        text = str(text)
        size = len(text.encode("utf-8", "replace"))
        if self.size + size > self.limit:
            self.overflow = True
            raise OSError(f"sandbox output limit of {self.limit} bytes exceeded")
        self.parts.append(text)
        self.size += size
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self.parts)


def _error_text(error: BaseException) -> str:
    """``Type: message (line N)``: N is the innermost line of the tool's own source."""
    line, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<toolhop>":
            line = tb.tb_lineno
        tb = tb.tb_next
    try:
        message = str(error)
    except Exception:
        message = "<unprintable>"
    where = f" (line {line})" if line else ""
    return f"{type(error).__name__}: {message}"[:2000] + where


def _confine(state: dict, limits: dict, report_fd: int) -> dict:
    """Apply every layer to this (child) process; returns which layers are in force."""
    cpu = max(1, math.ceil(limits["cpu_seconds"]))
    for limit, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (state["base_vm"] + limits["memory_bytes"],) * 2),
        (resource.RLIMIT_NOFILE, (limits["max_open_files"],) * 2),
        (resource.RLIMIT_FSIZE, (limits["max_file_bytes"],) * 2),
        (resource.RLIMIT_NPROC, (0, 0)),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        try:
            resource.setrlimit(limit, value)
        except (ValueError, OSError):
            pass
    layers = {"rlimits": True, "network_namespace": state["netns"], "user": os.getuid()}
    layers["capabilities_dropped"] = _kernel.drop_capabilities()
    layers["no_new_privs"] = _kernel.no_new_privs()
    layers["landlock_abi"] = state["landlock_abi"] if _kernel.landlock_restrict(state["ruleset_fd"]) else 0
    layers["seccomp"] = _kernel.seccomp_apply(state["seccomp"])
    if state["ruleset_fd"] >= 0:
        os.close(state["ruleset_fd"])
    modules = sys.modules
    for name in state["hidden_modules"]:  # dangerous or sandbox-internal modules leave the module table
        modules.pop(name, None)
    sys.addaudithook(state["hook"])
    layers["audit_hook"] = True
    sys.setrecursionlimit(limits["recursion_limit"])
    sys.dont_write_bytecode = True
    return layers


REPORT_FD = 250  # where a child's refusals go (the audit hook is built once, in the worker, for this fd)


def _child(state: dict, request: dict, code: object, result_fd: int, report_fd: int) -> None:
    """Runs in the forked child: confine, define, call, send one result frame. Never returns."""
    try:
        devnull = state["devnull"]
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.dup2(report_fd, REPORT_FD)
        for fd in (*state["close_in_child"], report_fd, devnull):
            os.close(fd)
        report_fd = REPORT_FD
        os.set_blocking(report_fd, False)
        _kernel.set_parent_death_signal(signal.SIGKILL)
        os.chdir(state["work_dir"])
        limits = request["limits"]
        layers = _confine(state, limits, report_fd)
        capture = _Capture(limits["max_output_bytes"])
        sys.stdout = sys.stderr = capture
        response: dict = {"ok": False, "value": None, "error": None, "error_kind": None, "layers": layers}
        try:
            namespace: dict = {"__name__": "__toolhop__", "__builtins__": builtins}
            exec(code, namespace)
            function = namespace.get(request["fn"])
            if not callable(function):
                response.update(error=f"the source defines no function {request['fn']!r}", error_kind="not_found")
            else:
                try:
                    response.update(ok=True, value=function(**request["args"]))
                except TypeError as error:
                    if error.__traceback__ is None or error.__traceback__.tb_next is not None:
                        raise  # raised inside the function
                    # raised by the call itself: the arguments do not bind to the parameters
                    response.update(error=f"bad arguments for {request['fn']}: {error}", error_kind="bad_arguments")
        except MemoryError as error:
            response.update(ok=False, value=None, error=_error_text(error), error_kind="memory")
        except BaseException as error:
            response.update(ok=False, value=None, error=_error_text(error), error_kind="exception")
        sys.stdout = sys.stderr = sys.__stdout__
        response["stdout"] = capture.getvalue()
        if capture.overflow:
            response.update(ok=False, value=None, error=f"output over {limits['max_output_bytes']} bytes",
                            error_kind="output")
        try:
            encoded = json.dumps(response["value"])
        except Exception:
            try:
                response["value"] = repr(response["value"])[: limits["max_output_bytes"] + 1]
            except BaseException as error:
                response["value"] = f"<unrepresentable {type(response['value']).__name__}: {_error_text(error)}>"
            encoded = json.dumps(response["value"])
        if len(encoded) > limits["max_output_bytes"]:
            response.update(ok=False, value=None, error=f"return value over {limits['max_output_bytes']} bytes",
                            error_kind="output")
        _frames.write_frame(result_fd, response)
        os._exit(0)
    except BaseException:
        os._exit(70)


def _clean(work_dir: str) -> None:
    """Empty the work folder (a tool may have left folders without permissions)."""

    def unlock(function: object, path: str, _error: object) -> None:
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass

    for entry in os.listdir(work_dir):
        path = os.path.join(work_dir, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=unlock)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def _collect(fd: int, deadline: float, cap: int) -> tuple[bytes, str | None]:
    """Read a child's result pipe to EOF; returns (data, None) or (partial, "timeout" | "output")."""
    poller, chunks, size = select.poll(), [], 0
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), "timeout"
        if not poller.poll(left * 1000):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), None
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks), "output"


def _call(state: dict, request: dict) -> dict:
    source, limits = request["source"], request["limits"]
    key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    code = state["cache"].get(key)
    if code is None:
        try:
            code = compile(_source.strip_example_usage(source), "<toolhop>", "exec")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
            return {"ok": False, "value": None, "error": _error_text(error), "error_kind": "exception", "stdout": ""}
        if len(state["cache"]) > 4096:
            state["cache"].clear()
        state["cache"][key] = code
    result_r, result_w = os.pipe()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(report_r)
        _child(state, request, code, result_w, report_w)
    os.close(result_w)
    os.close(report_w)
    wall = float(request.get("wall_seconds") or limits["wall_seconds"])
    cap = 4 * (limits["max_output_bytes"] + 65536)
    data, problem = _collect(result_r, time.monotonic() + wall, cap)
    if problem is not None:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    os.close(result_r)
    os.set_blocking(report_r, False)
    try:
        refusals = os.read(report_r, 65536).decode("utf-8", "replace").splitlines()
    except BlockingIOError:
        refusals = []
    os.close(report_r)
    _clean(state["work_dir"])
    response: dict = {"ok": False, "value": None, "error": None, "error_kind": None, "stdout": ""}
    cpu_used = usage.ru_utime + usage.ru_stime
    if problem == "timeout":
        response.update(error=f"wall time limit of {wall:g} s exceeded", error_kind="timeout")
    elif problem == "output":
        response.update(error=f"result over {cap} bytes", error_kind="output")
    elif data:
        try:
            response = _frames.decode_frame(data)
        except ValueError:
            response.update(error="malformed result from the sandbox child", error_kind="crash")
    elif os.WIFSIGNALED(status) and (os.WTERMSIG(status) == signal.SIGXCPU or cpu_used >= limits["cpu_seconds"]):
        response.update(error=f"CPU time limit of {limits['cpu_seconds']:g} s exceeded", error_kind="timeout")
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 86:
        response.update(error="the tool closed the sandbox's report channel", error_kind="violation")
    elif os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        response.update(error=f"the tool's process was killed by {name}", error_kind="crash")
    else:
        response.update(error=f"the tool's process exited with status {os.WEXITSTATUS(status)}", error_kind="crash")
    if refusals:
        detail = f"{refusals[0]}" + (f" (+{len(refusals) - 1} more)" if len(refusals) > 1 else "")
        if response.get("error") and "sandbox refused" not in response["error"]:
            detail += f"; then {response['error']}"
        response.update(ok=False, value=None, error=detail, error_kind="violation")
    response["cpu_s"] = round(cpu_used, 6)
    return response


def main() -> None:
    config = json.loads(sys.argv[1])
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    os.close(devnull)
    _kernel.set_parent_death_signal(signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the evaluator's terminal is the evaluator's business
    work_dir = os.path.realpath(config["work_dir"])
    read_roots = [p for p in (*sys.path, *_SYSTEM_READ_ROOTS) if p and os.path.exists(p)]
    ruleset_fd, abi = _kernel.landlock_ruleset(read_roots, [work_dir])
    state = {
        "work_dir": work_dir,
        "read_roots": read_roots,
        "ruleset_fd": ruleset_fd,
        "landlock_abi": abi,
        "seccomp": _kernel.seccomp_program(),
        "netns": _kernel.unshare_network() if config.get("network_namespace", True) else False,
        "close_in_child": (proto_in, proto_out),
        "cache": {},
        "devnull": os.open(os.devnull, os.O_RDWR),
        "hook": _policy.make_hook(work_dir, tuple(read_roots), REPORT_FD),
        "hidden_modules": [name for name in sys.modules if name.split(".", 1)[0] in _policy.REFUSED_MODULES
                           or name in ("_kernel", "_policy", "_source", "__main__")],
    }
    try:  # memory a child starts with; the limit comes on top of it
        with open("/proc/self/statm") as statm:
            state["base_vm"] = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        state["base_vm"] = 0
    gc.freeze()  # forked children then never write to the worker's objects when they collect garbage
    _frames.write_frame(proto_out, {"hello": True, "pid": os.getpid(), "landlock_abi": abi,
                             "seccomp": state["seccomp"] is not None, "network_namespace": state["netns"]})
    while True:
        request = _frames.read_frame(proto_in)
        if request is None:
            return
        try:
            response = _call(state, request)
        except Exception as error:  # a failure of the zygote itself: report it, keep serving
            response = {"ok": False, "value": None, "error": f"sandbox worker: {_error_text(error)}",
                        "error_kind": "crash", "stdout": ""}
        response["id"] = request.get("id")
        _frames.write_frame(proto_out, response)


if __name__ == "__main__":
    main()
