"""Length-prefixed JSON frames, the protocol between :class:`~knowbench.sandbox.ToolSandbox` and its workers.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. Standard library only: the worker
(``_worker.py``, started without ``site``) imports this module from its own folder.

Example:
    >>> import os
    >>> read_end, write_end = os.pipe()
    >>> write_frame(write_end, {"id": 1, "args": [2, 3]})
    >>> os.close(write_end)
    >>> read_frame(read_end)
    {'id': 1, 'args': [2, 3]}
    >>> read_frame(read_end) is None  # the other side closed
    True
    >>> decode_frame(encode_frame([1, 2])), decode_frame(encode_frame([1, 2])[:-1])
    Traceback (most recent call last):
    ...
    ValueError: not one whole frame (9 bytes)
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable

HEADER = struct.Struct(">I")


def encode_frame(obj: object) -> bytes:
    """``obj`` as one frame: its length, then its JSON."""
    data = json.dumps(obj).encode("utf-8")
    return HEADER.pack(len(data)) + data


def decode_frame(data: bytes) -> object:
    """The value of ``data``, exactly one whole frame; :class:`ValueError` when it is torn or malformed."""
    if len(data) < HEADER.size or HEADER.unpack(data[: HEADER.size])[0] != len(data) - HEADER.size:
        raise ValueError(f"not one whole frame ({len(data)} bytes)")
    return json.loads(data[HEADER.size :])


def write_frame(fd: int, obj: object) -> None:
    """Write ``obj`` as one frame to ``fd``, however many writes that takes."""
    view = memoryview(encode_frame(obj))
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, size: int, wait: Callable[[], None] | None = None) -> bytes | None:
    """Exactly ``size`` bytes from ``fd``, or None when it ends first.

    ``wait`` runs before every read (e.g. a ``select`` that raises :class:`TimeoutError` past a deadline).
    """
    chunks, left = [], size
    while left:
        if wait is not None:
            wait()
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, wait: Callable[[], None] | None = None) -> object | None:
    """The next frame's value from ``fd``, or None when ``fd`` ends (``wait`` as in :func:`read_exact`)."""
    header = read_exact(fd, HEADER.size, wait)
    if header is None:
        return None
    data = read_exact(fd, HEADER.unpack(header)[0], wait)
    return None if data is None else json.loads(data)
