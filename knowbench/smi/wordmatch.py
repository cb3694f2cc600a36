"""Exact multi-pattern matching of space-led patterns with 64-bit word comparisons, vectorised with numpy.

Every pattern starts with a space, so a match starts at a space. At each space the next 8 bytes are read as one
little-endian ``uint64`` (an unaligned strided view: no copy). Patterns whose body (the bytes after the space) is
1-7 bytes long are found by a hashed 3-byte prefix table (a bitmask of the body lengths present) and then an exact
comparison of the masked word against the sorted bodies of that length. Longer patterns are found by a hashed
table of their first 8 bytes, an exact comparison of that word against the sorted first words, and then, 8 bytes at
a time, of the rest of each candidate pattern. No step guesses: every reported match is a byte-exact occurrence,
and every occurrence is reported (the tables only pre-select; collisions cost time, never results).

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
_MULT3, _MULT4, _MULT8 = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F),
                          np.uint64(0x165667B19E3779F9))
_LOW3, _LOW4 = np.uint64(0xFFFFFF), np.uint64(0xFFFFFFFF)
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
        self._table3 = np.zeros(1 << _BITS, np.uint8)  # bodies of 1-3 bytes: bit (length - 1)
        self._table4 = np.zeros(1 << _BITS, np.uint8)  # bodies of 4-7 bytes, by their first 4 bytes
        self._table8 = np.zeros(1 << _BITS, np.bool_)
        keys3: list[int] = []
        bits3: list[int] = []
        keys4: list[int] = []
        bits4: list[int] = []
        for pid, pattern in enumerate(patterns):
            if not pattern.startswith(b" ") or len(pattern) < 2 or b"\0" in pattern:
                raise ValueError(f"pattern {pattern[:60]!r} must start with a space, have a body and hold no NUL")
            body = pattern[1:]
            if len(body) <= 7:
                short.setdefault(len(body), []).append((_le(body), pid))
                if len(body) >= 4:
                    keys4.append(_le(body[:4]))
                    bits4.append(1 << (len(body) - 1))
                    continue
                free = 3 - len(body)
                base = _le(body)
                for extra in range(1 << (8 * free)):
                    keys3.append(base | (extra << (8 * len(body))))
                    bits3.append(1 << (len(body) - 1))
            else:
                first.setdefault(_le(body[:8]), []).append(pid)
        if keys3:
            np.bitwise_or.at(self._table3, _hash(np.asarray(keys3, np.uint64), _MULT3), np.asarray(bits3, np.uint8))
        if keys4:
            np.bitwise_or.at(self._table4, _hash(np.asarray(keys4, np.uint64), _MULT4), np.asarray(bits4, np.uint8))
        self._has3, self._has4 = bool(keys3), bool(keys4)
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
        if firsts:
            self._table8[_hash(self._first_words, _MULT8)] = True
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
        if self._short:
            if self._has3 and self._has4:
                lengths = self._table3[_hash(words & _LOW3, _MULT3)] | self._table4[_hash(words & _LOW4, _MULT4)]
            elif self._has3:
                lengths = self._table3[_hash(words & _LOW3, _MULT3)]
            else:
                lengths = self._table4[_hash(words & _LOW4, _MULT4)]
            candidates = np.flatnonzero(lengths)
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
            candidates = np.flatnonzero(self._table8[_hash(words, _MULT8)])
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
