"""The audit hook of a sandbox child (PEP 578): refuses dangerous events with a ``PermissionError``.

Standard library only (loaded by the worker). The hook is the first, Python-level layer: it gives tools a clear
error message and lets the sandbox report a ``violation`` even when the tool swallows the exception (every refusal
is written to a report pipe the tool cannot take back). Kernel layers (``_kernel.py``) stand behind it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

# any event starting with one of these is refused outright
REFUSED_PREFIXES = (
    "socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "os.kill", "os.killpg", "os.setuid", "os.setgid", "signal.", "ctypes.", "pty.", "gc.",
    "sys._current_frames", "sys.addaudithook", "sys.setprofile", "sys.settrace", "sys.remote_exec",
    "os.symlink", "os.link", "os.add_dll_directory", "os.startfile", "winreg.", "webbrowser.", "urllib.",
    "http.", "ftplib.", "smtplib.", "poplib.", "imaplib.", "nntplib.", "telnetlib.", "mmap.", "fcntl.",
    "_posixsubprocess.", "code.__new__", "cpython.run_", "cpython.PyInterpreterState_", "_thread.start_new_thread",
    "sqlite3.",
)
# modules whose first import is refused (the worker removed them from sys.modules before the tool runs)
REFUSED_MODULES = frozenset({
    "ctypes", "_ctypes", "cffi", "socket", "_socket", "ssl", "_ssl", "select", "selectors", "subprocess",
    "_posixsubprocess", "multiprocessing", "_multiprocessing", "concurrent", "signal", "_signal", "gc", "pty",
    "tty", "termios", "fcntl", "mmap", "resource", "faulthandler", "_posixshmem", "asyncio", "_asyncio",
    "ftplib", "smtplib", "webbrowser", "sqlite3", "_sqlite3", "pwd", "grp", "spwd",
    "crypt", "_tracemalloc", "tracemalloc", "_imp", "zipimport", "marshal",
})
# attributes a tool may not replace (``object.__setattr__`` event): swapping a function's code object
REFUSED_ATTRIBUTES = frozenset({"__code__"})
# events whose path argument(s) must lie inside the private work folder
PATH_EVENTS = {
    "os.chdir": (0,), "os.chmod": (0,), "os.chown": (0,), "os.mkdir": (0,), "os.remove": (0,), "os.rmdir": (0,),
    "os.rename": (0, 1), "os.utime": (0,), "os.setxattr": (0,), "os.removexattr": (0,), "shutil.rmtree": (0,),
    "shutil.copyfile": (0, 1), "shutil.copymode": (0, 1), "shutil.copystat": (0, 1), "shutil.move": (0, 1),
    "shutil.chown": (0,), "os.truncate": (0,), "shutil.make_archive": (0,), "shutil.unpack_archive": (0, 1),
}
# events whose path argument may be anywhere readable (work folder or Python's own library folders)
READ_PATH_EVENTS = {"os.listdir": 0, "os.scandir": 0, "os.listxattr": 0, "glob.glob": 0, "glob.glob/2": 0}


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def make_hook(work_dir: str, read_roots: tuple[str, ...], report_fd: int) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook: ``work_dir`` is writable, ``read_roots`` readable, every refusal is reported on ``report_fd``.

    The hook keeps no mutable state, so a tool that reached it could not switch it off.
    """
    work_roots = (os.path.realpath(work_dir),)
    readable = (*work_roots, *(os.path.realpath(root) for root in read_roots))
    realpath, fspath, write, exit_ = os.path.realpath, os.fspath, os.write, os._exit
    refused_prefixes, refused_modules, refused_attributes = REFUSED_PREFIXES, REFUSED_MODULES, REFUSED_ATTRIBUTES
    path_events, read_path_events = PATH_EVENTS, READ_PATH_EVENTS

    def refuse(event: str, detail: str) -> None:
        message = f"sandbox refused {event}({detail})"
        try:
            write(report_fd, (message[:300] + "\n").encode("utf-8", "replace"))
        except BlockingIOError:  # the report pipe is full: enough has been reported
            pass
        except OSError:  # the tool closed the report pipe: end the call, the parent reports a violation
            exit_(86)
        raise PermissionError(message)

    def resolve(value: Any) -> str | None:
        if isinstance(value, int):
            return None
        try:
            path = fspath(value)
            if isinstance(path, bytes):
                path = path.decode("utf-8", "surrogateescape")
            return realpath(path)
        except (TypeError, ValueError):
            return None

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event.startswith(refused_prefixes):
            refuse(event, repr(args)[:200])
        elif event == "import":
            name = str(args[0])
            if name in refused_modules or name.split(".", 1)[0] in refused_modules:
                refuse(event, name)
        elif event == "object.__setattr__" and len(args) > 1:
            if args[1] in refused_attributes:
                refuse(event, str(args[1]))
        elif event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                refuse(event, f"fd {path}")
            resolved = resolve(path)
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
            if resolved is None or not _inside(resolved, work_roots if writing else readable):
                refuse(event, f"{path!r}, {'write' if writing else 'read'}")
        elif event in path_events:
            for position in path_events[event]:
                if position < len(args) and args[position] is not None:
                    resolved = resolve(args[position])
                    if resolved is None or not _inside(resolved, work_roots):
                        refuse(event, repr(args[position]))
        elif event in read_path_events:
            target = args[read_path_events[event]] if args else None
            resolved = resolve("." if target is None else target)
            if resolved is None or not _inside(resolved, readable):
                refuse(event, repr(target))

    return hook


def install(work_dir: str, read_roots: tuple[str, ...], report_fd: int) -> None:
    """Install the hook for the rest of this process's life (audit hooks cannot be removed)."""
    sys.addaudithook(make_hook(work_dir, read_roots, report_fd))
