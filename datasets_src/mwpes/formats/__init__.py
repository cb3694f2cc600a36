"""Ingest formats: readers that turn a file of published model solutions into :class:`SolutionRecord` objects.

The registry :data:`FORMATS` maps a format name (``knowbench ingest mwpes --format NAME``) to a reader, a callable
``read(path, **options) -> Iterator[SolutionRecord]``. One module per format registers itself here:

=========================== =========================================================================================
``gsm8k-example-solutions`` OpenAI's GPT-3 ``example_model_solutions.jsonl`` (:mod:`.gpt3`)
``mr-gsm8k``                MR-GSM8K graded solutions with human first-error labels (:mod:`.mr_gsm8k`)
``eic``                     EIC erroneous solutions with error type and wrong step (:mod:`.eic`)
``jsonl``                   any JSON lines file with a field mapping ``--map question=q,solution=s,...`` (:mod:`.jsonl`)
``lm-eval``                 ``lm_eval --log_samples`` files of the ``mwpes_<dataset>`` tasks (:mod:`.lm_eval`)
=========================== =========================================================================================

To add a format: write ``datasets_src/mwpes/formats/<name>.py`` with a reader decorated by
``@FORMATS.register("<name>")`` that yields :class:`SolutionRecord` (raise :class:`knowbench.errors.SourceFormatError`
naming the file and the 1-based record for a malformed one), and add the module to :data:`FORMAT_MODULES`.

Example:
    >>> sorted(FORMATS)
    ['eic', 'gsm8k-example-solutions', 'jsonl', 'lm-eval', 'mr-gsm8k']
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.registry import Registry

FORMATS: Registry[Any] = Registry("solutions format")
#: the modules that register formats (imported on first use; other packages may add to FORMATS themselves)
FORMAT_MODULES = ("gpt3", "mr_gsm8k", "eic", "jsonl", "lm_eval")


@dataclass(frozen=True)
class Generation:
    """How a model produced one solution, for sources that record it (the harness's samples files).

    ``strategy_key`` is the strategy as sample ids spell it (``greedy``, ``sample-t0.7-p0.95``, see
    :attr:`~knowbench.datasets_src.mwpes.collect.CollectConfig.strategy_key`); ``sample_index`` numbers the
    generations of one problem (0-based).

    Example:
        >>> Generation(0.7, 0.95, 1, "sample-t0.7-p0.95").prompt_style
        'published'
    """

    temperature: float
    top_p: float
    sample_index: int
    strategy_key: str
    prompt_style: str = "published"


@dataclass(frozen=True)
class SolutionRecord:
    """One model solution as a reader yields it: the shape every ingest format produces.

    ``gold_answer`` is the answer as the source writes it (ingest validates it); ``reference`` is a correct
    reference solution ("" when the source has none); ``source_id`` is the source's own id of the record, ``None``
    to derive one from the content; ``problem_id`` only when the source itself is aligned with a known reader (the
    GPT-3 file follows GSM8K's test order). ``labels`` holds human labels: ``first_error_step`` (1-based, the
    solution's own numbering), ``error_type``, ``reason``, ``question_type``. ``record`` is the 1-based record
    number, for error messages.

    Sources that carry more (the harness's samples files): ``problem`` is the whole problem row of knowbench's
    readers (dataset, id, gold of any answer kind, options), taken as it is instead of being matched by question;
    ``generation`` holds the generation settings and the sample index; ``run_settings`` are settings every record of
    one ingest must share (model, sampling, ...), written to the run folder's ``config.json``; records that
    differ there are refused before anything is written. ``path`` is the file the record came from.
    """

    question: str
    solution: str
    gold_answer: str
    model: str
    record: int
    reference: str = ""
    source_id: str | None = None
    dataset: str = "gsm8k"
    strategy: str = "published"
    published_label: bool | None = None
    problem_id: str | None = None
    labels: tuple[tuple[str, Any], ...] = ()
    problem: Problem | None = None
    generation: Generation | None = None
    run_settings: tuple[tuple[str, Any], ...] = ()
    path: str = ""

    @property
    def label_dict(self) -> dict[str, Any]:
        return dict(self.labels)

    def content_id(self) -> str:
        """``source_id``, else a hash of question and solution, whitespace folded (never a line position).

        Example:
            >>> a = SolutionRecord("Q?", "1 + 1 = 2", "2", "m", 1)
            >>> a.content_id() == SolutionRecord("Q? ", "1 +  1 = 2", "2", "m", 7).content_id()
            True
        """
        if self.source_id:
            return self.source_id
        text = f"{' '.join(self.question.split())}\x00{' '.join(self.solution.split())}"
        digest = hashlib.sha1(text.encode()).hexdigest()
        return f"sha1-{digest[:16]}"


def _load_all() -> None:
    for name in FORMAT_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def read_solutions(fmt: str, path: str | os.PathLike[str], **options: Any) -> Iterator[SolutionRecord]:
    """The records of ``path`` read by format ``fmt`` (unknown names answer with the known ones)."""
    _load_all()
    return FORMATS.get(fmt)(path, **options)


def format_names() -> list[str]:
    _load_all()
    return FORMATS.names()


_load_all()
