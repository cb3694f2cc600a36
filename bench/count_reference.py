"""Reference counts, used only to check knowbench's counter (``bench_count.py`` and the counting tests).

* :func:`paper_scan`: the SMI paper's rule written as plainly as possible: every fact tested against every document
  with ``" " + label in text`` (arXiv 2502.04066). Slow: the baseline ``bench_count.py`` times.
* :func:`automaton_scan`: the same definitions through one pyahocorasick automaton over every name, for both
  matching modes (``"boundary"``: normalised text and names, a fact's subject present when any of its names is).
  Independent of the counter's code, and fast enough to check whole corpora.

Both return one ``{"n_docs", "n_s", "n_o", "n_so"}`` dict per fact.

Example:
    >>> from knowbench.datasets_src.triples.types import Triple
    >>> facts = [Triple("Paris", "capital of", "France")]
    >>> paper_scan(facts, ["Paris is in France.", "We love Paris in France"])
    [{'n_docs': 2, 'n_s': 1, 'n_o': 2, 'n_so': 1}]
    >>> automaton_scan(facts, ["Paris is in France.", "We love Paris in France"])
    [{'n_docs': 2, 'n_s': 1, 'n_o': 2, 'n_so': 1}]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from knowbench.datasets_src.triples.count import normalize_boundary
from knowbench.datasets_src.triples.types import Triple


def _tally(n_facts: int, presence: Iterable[tuple[list[bool], list[bool]]]) -> list[dict[str, int]]:
    """Per-fact counts from, per document, whether each fact's subject and object are in it."""
    n_s, n_o, n_so = [0] * n_facts, [0] * n_facts, [0] * n_facts
    n_docs = 0
    for has_subject, has_object in presence:
        n_docs += 1
        for i, (has_s, has_o) in enumerate(zip(has_subject, has_object, strict=True)):
            n_s[i] += has_s
            n_o[i] += has_o
            n_so[i] += has_s and has_o
    return [{"n_docs": n_docs, "n_s": a, "n_o": b, "n_so": c} for a, b, c in zip(n_s, n_o, n_so, strict=True)]


def paper_scan(facts: Sequence[Triple], texts: Iterable[str]) -> list[dict[str, int]]:
    """The paper's count: ``" " + label in text`` for every fact and every document."""
    subjects = [" " + f.subject for f in facts]
    objects = [" " + f.object for f in facts]
    return _tally(len(facts), (([s in text for s in subjects], [o in text for o in objects]) for text in texts))


def automaton_scan(
    facts: Sequence[Triple], texts: Iterable[str], mode: str = "paper", ignore_case: bool = False
) -> list[dict[str, int]]:
    """The counts of ``mode`` (``"paper"`` or ``"boundary"``) from the set of names an automaton finds per document."""
    import ahocorasick

    def form(text: str) -> str:
        if mode == "paper":
            return text
        return normalize_boundary(text, ignore_case).decode("utf-8", "surrogatepass")

    def names(label: str, aliases: tuple[str, ...]) -> list[str]:
        if mode == "paper":
            return [" " + label]
        return [n for n in (form(name) for name in (label, *aliases) if name) if n.strip()]

    subject_names = [names(f.subject, f.subject_aliases) for f in facts]
    object_names = [names(f.object, f.object_aliases) for f in facts]
    automaton = ahocorasick.Automaton()
    for name in {n for group in subject_names + object_names for n in group}:
        automaton.add_word(name, name)
    automaton.make_automaton()
    searchable = len(automaton) > 0

    def presence(text: str) -> tuple[list[bool], list[bool]]:
        found = {name for _, name in automaton.iter(form(text))} if searchable else set()
        return ([any(n in found for n in group) for group in subject_names],
                [any(n in found for n in group) for group in object_names])

    return _tally(len(facts), map(presence, texts))
