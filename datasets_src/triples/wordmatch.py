"""Exact multi-pattern matching of space-led patterns with 64-bit word comparisons, vectorised with numpy.

Every pattern starts with a space, so a match starts at a space. At each space the next 8 bytes are read as one
little-endian ``uint64`` (an unaligned strided view: no copy). One hashed table on the first 4 bytes after the
space (plus a direct 64 KiB table for 1-2 byte bodies) gives a bitmask of the body lengths that may start there.
Bodies of 1-7 bytes are then confirmed by an exact comparison of the masked word against the sorted bodies of that
length; longer bodies by an exact comparison of the whole word against the sorted first 8 bytes of the patterns,
then, 8 bytes at a time, of the rest of each candidate pattern. No step guesses: every reported match is a
byte-exact occurrence, and every occurrence is reported (the tables only pre-select; collisions cost time, never
results).

Example:
    >>> import numpy as np
    >>> matcher = WordMatcher([b" Paris", b" Paris Hilton", b" York", b" New York City"])
    >>> text = b"In Paris Hilton met New York City folk in York.\\0" + b"\\0" * 16
    >>> positions, ids = matcher.match(text)
    >>> sorted(zip(positions.tolist(), ids.tolist()))
    [(2, 0), (2, 1), (19, 3), (23, 2), (41, 2)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BITS = 20
_SHIFT = np.uint64(64 - _BITS)
_MULT4 = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (Fibonacci hashing)
_LOW2, _LOW4 = np.uint64(0xFFFF), np.uint64(0xFFFFFFFF)
_LONG = 0x80  # table bit: some body of 8+ bytes starts with these 4 bytes
#: bytes of zero padding :meth:`WordMatcher.match` needs after the text
PADDING = 16


def _hash(keys: np.ndarray, mult: np.uint64) -> np.ndarray:
    hashed = keys * mult  # wraps modulo 2**64 (Fibonacci hashing)
    hashed >>= _SHIFT
    return hashed


def _le(data: bytes) -> int:
    return int.from_bytes(data, "little")


class WordMatcher:
    """All occurrences of space-led byte patterns (no NUL inside) in a NUL-padded text."""

    def __init__(self, patterns: Sequence[bytes]) -> None:
        self.n_patterns = len(patterns)
        short: dict[int, list[tuple[int, int]]] = {}
        first: dict[int, list[int]] = {}
        # one hashed table on the first 4 body bytes: bit (length - 1) for bodies of 3-7 bytes, _LONG for 8 or more;
        # bodies of 1-2 bytes in a direct table on the first 2 bytes (64 KiB)
        self._table4 = np.zeros(1 << _BITS, np.uint8)
        self._table2 = np.zeros(1 << 16, np.uint8)
        keys4: list[int] = []
        bits4: list[int] = []
        for pid, pattern in enumerate(patterns):
            if not pattern.startswith(b" ") or len(pattern) < 2 or b"\0" in pattern:
                raise ValueError(f"pattern {pattern[:60]!r} must start with a space, have a body and hold no NUL")
            body = pattern[1:]
            if len(body) <= 2:
                short.setdefault(len(body), []).append((_le(body), pid))
                base = _le(body)
                for extra in range(1 << (8 * (2 - len(body)))):
                    self._table2[base | (extra << (8 * len(body)))] |= 1 << (len(body) - 1)
            elif len(body) == 3:
                short.setdefault(3, []).append((_le(body), pid))
                keys4.extend(_le(body) | (extra << 24) for extra in range(256))
                bits4.extend([1 << 2] * 256)
            elif len(body) <= 7:
                short.setdefault(len(body), []).append((_le(body), pid))
                keys4.append(_le(body[:4]))
                bits4.append(1 << (len(body) - 1))
            else:
                first.setdefault(_le(body[:8]), []).append(pid)
                keys4.append(_le(body[:4]))
                bits4.append(_LONG)
        if keys4:
            np.bitwise_or.at(self._table4, _hash(np.asarray(keys4, np.uint64), _MULT4), np.asarray(bits4, np.uint8))
        self._has2 = bool(self._table2.any())
        # short bodies: per length, sorted keys and their pattern ids
        self._short = {}
        for length, pairs in sorted(short.items()):
            pairs.sort()
            mask = np.uint64((1 << (8 * length)) - 1)
            self._short[length] = (np.asarray([k for k, _ in pairs], np.uint64), np.asarray([p for _, p in pairs]), mask)
        # long bodies: sorted distinct first words -> patterns (CSR); the rest of each pattern as masked words
        firsts = sorted(first)
        self._first_words = np.asarray(firsts, np.uint64)
        group_pids = [pid for word in firsts for pid in first[word]]
        self._group_ptr = np.zeros(len(firsts) + 1, np.int64)
        np.cumsum([len(first[w]) for w in firsts], out=self._group_ptr[1:])
        self._group_pids = np.asarray(group_pids, np.int64)
        rest_words: list[int] = []
        rest_masks: list[int] = []
        self._rest_ptr = np.zeros(len(patterns) + 1, np.int64)
        counts = np.zeros(len(patterns), np.int64)
        for pid, pattern in enumerate(patterns):
            body = pattern[1:]
            if len(body) > 8:
                for start in range(8, len(body), 8):
                    chunk = body[start : start + 8]
                    rest_words.append(_le(chunk))
                    rest_masks.append((1 << (8 * len(chunk))) - 1)
                counts[pid] = (len(body) - 1) // 8
        np.cumsum(counts, out=self._rest_ptr[1:])
        self._rest_count = counts
        self._rest_words = np.asarray(rest_words, np.uint64)
        self._rest_masks = np.asarray(rest_masks, np.uint64)

    def match(self, text: bytes | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start offset of the leading space, pattern id) of every occurrence; ``text`` ends with
        :data:`PADDING` NUL bytes."""
        data = np.frombuffer(text, np.uint8) if isinstance(text, bytes | bytearray | memoryview) else text
        words_view = np.ndarray((data.size - 7,), "<u8", data, 0, (1,))
        spaces = np.flatnonzero(data == 0x20)
        empty = (np.empty(0, np.int64), np.empty(0, np.int64))
        if spaces.size == 0:
            return empty
        words = words_view[spaces + 1]
        found_pos: list[np.ndarray] = []
        found_pid: list[np.ndarray] = []
        lengths = self._table4[_hash(words & _LOW4, _MULT4)]
        if self._has2:
            lengths |= self._table2[words & _LOW2]
        if self._short:
            candidates = np.flatnonzero(lengths & np.uint8(_LONG - 1))
            if candidates.size:
                cand_bits, cand_words = lengths[candidates], words[candidates]
                for length, (keys, pids, mask) in self._short.items():
                    pick = np.flatnonzero(cand_bits & np.uint8(1 << (length - 1)))
                    if not pick.size:
                        continue
                    key = cand_words[pick] & mask
                    where = np.minimum(np.searchsorted(keys, key), keys.size - 1)
                    hit = keys[where] == key
                    found_pos.append(spaces[candidates[pick[hit]]])
                    found_pid.append(pids[where[hit]])
        if self._first_words.size:
            candidates = np.flatnonzero(lengths & np.uint8(_LONG))
            if candidates.size:
                key = words[candidates]
                where = np.minimum(np.searchsorted(self._first_words, key), self._first_words.size - 1)
                hit = self._first_words[where] == key
                candidates, groups = candidates[hit], where[hit]
                starts = self._group_ptr[groups]
                sizes = self._group_ptr[groups + 1] - starts
                rows = np.repeat(np.arange(groups.size), sizes)
                pids = self._group_pids[np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(rows.size)]
                positions = spaces[candidates][rows]
                step = 1
                last = words_view.size - 1
                while pids.size:
                    pending = self._rest_count[pids] >= step
                    done = ~pending
                    found_pos.append(positions[done])
                    found_pid.append(pids[done])
                    positions, pids = positions[pending], pids[pending]
                    if not pids.size:
                        break
                    slot = self._rest_ptr[pids] + (step - 1)
                    text_words = words_view[np.minimum(positions + 1 + 8 * step, last)]
                    keep = (text_words & self._rest_masks[slot]) == self._rest_words[slot]
                    positions, pids = positions[keep], pids[keep]
                    step += 1
        if not found_pos:
            return empty
        return np.concatenate(found_pos).astype(np.int64), np.concatenate(found_pid).astype(np.int64)
