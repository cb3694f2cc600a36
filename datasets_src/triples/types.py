"""The fact record every triple source yields."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Triple:
    """One (subject, relation, object) fact with labels, and ids and aliases where the source has them.

    Example:
        >>> t = Triple("John Cage", "plays", "opera", source="smi")
        >>> t.key, len(t.fact_id)
        (('John Cage', 'plays', 'opera'), 16)
    """

    subject: str
    relation: str
    object: str
    subject_id: str | None = None
    relation_id: str | None = None
    object_id: str | None = None
    subject_aliases: tuple[str, ...] = ()
    object_aliases: tuple[str, ...] = ()
    id: str = ""
    source: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject, self.relation, self.object)

    @property
    def fact_id(self) -> str:
        """``id`` when the source gives one, else a stable hash of (subject, relation, object)."""
        if self.id:
            return self.id
        return hashlib.sha256("\x1f".join(self.key).encode()).hexdigest()[:16]

    def subject_names(self) -> tuple[str, ...]:
        """Label then aliases, without duplicates or empties."""
        return tuple(dict.fromkeys(n for n in (self.subject, *self.subject_aliases) if n))

    def object_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for n in (self.object, *self.object_aliases) if n))
