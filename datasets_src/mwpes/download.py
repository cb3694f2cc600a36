"""The online default: each source's Hugging Face Hub dataset, mapped onto the reader's record fields.

The Hub copies name their columns differently from the original files; :data:`HUB_SOURCES` says which repo,
config and splits hold each set and how a Hub row becomes the record the file reader parses, so that a problem
downloaded from the Hub and one read from the original file come out identical (same id, question and gold).
The commit a download resolved to is returned in its :class:`~knowbench.io.SourceInfo`.

The original files (the layout the readers take) are pinned too, in :data:`GITHUB_FILES`.

Example:
    >>> HUB_SOURCES["gsm8k"].repo_id, HUB_SOURCES["gsm8k"].config, HUB_SOURCES["gsm8k"].splits
    ('openai/gsm8k', 'main', ('test',))
    >>> problems, source = download("gsm8k")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowbench.datasets_src.mwpes import aqua, asdiv, gsm8k, hendrycks_math, svamp
from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import DownloadError, UnknownNameError
from knowbench.io import SourceInfo

_MATH_SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)


def _svamp_row(row: dict[str, Any]) -> dict[str, Any]:
    # MU-NLPC/Calc-svamp: lowercase columns, all 1,000 problems in one "test" split
    return {
        "ID": row.get("ID") or row.get("id"),
        "Body": row.get("Body", row.get("body", "")),
        "Question": row.get("Question", row.get("question")),
        "Equation": row.get("Equation", row.get("equation", "")),
        "Answer": row.get("Answer", row.get("answer")),
        "Type": row.get("Type", row.get("type")),
    }


def _asdiv_row(row: dict[str, Any], index: int) -> dict[str, Any]:
    # EleutherAI/asdiv has no ID column: rows are in file order, nluds-0001 ... nluds-2305
    return {
        "ID": row.get("ID") or f"nluds-{index + 1:04d}",
        "Body": row.get("body", ""),
        "Question": row.get("question"),
        "Solution-Type": row.get("solution_type"),
        "Answer": row.get("answer"),
        "Formula": row.get("formula"),
    }


@dataclass(frozen=True)
class HubSource:
    """Where one source lives on the Hub and how its rows become reader records."""

    dataset: str
    repo_id: str
    config: str | None
    splits: tuple[str, ...]
    parse: Callable[[dict[str, Any], int, str], Problem]
    #: a branch, tag or commit; ``None`` = the default branch, resolved to a commit at download time
    revision: str | None = None
    #: several configs concatenated (MATH is split by subject on the Hub)
    configs: tuple[str, ...] = ()
    note: str = ""


HUB_SOURCES: dict[str, HubSource] = {
    "gsm8k": HubSource(
        "gsm8k", "openai/gsm8k", "main", ("test",),
        lambda row, i, where: gsm8k.parse_record(row, i, "openai/gsm8k", where),
    ),
    "svamp": HubSource(
        "svamp", "MU-NLPC/Calc-svamp", "default", ("test",),
        lambda row, i, where: svamp.parse_record(_svamp_row(row), i, "MU-NLPC/Calc-svamp", where),
        note="all 1,000 SVAMP problems in one split (ChilleD/SVAMP splits them 700/300)",
    ),
    "aqua": HubSource(
        "aqua", "deepmind/aqua_rat", "raw", ("test",),
        lambda row, i, where: aqua.parse_record(row, i, "deepmind/aqua_rat", where),
    ),
    "math": HubSource(
        "math", "EleutherAI/hendrycks_math", None, ("test",),
        lambda row, i, where: hendrycks_math.parse_record(
            {k: row[k] for k in ("problem", "solution", "level", "type")}, i, "EleutherAI/hendrycks_math", where
        ),
        configs=_MATH_SUBJECTS,
        note="the 5,000 test problems, subjects concatenated in alphabetical order; ids are positions",
    ),
    "asdiv": HubSource(
        "asdiv", "EleutherAI/asdiv", "asdiv", ("validation",),
        lambda row, i, where: asdiv.parse_record(_asdiv_row(row, i), i, "EleutherAI/asdiv", where),
        revision="refs/convert/parquet",
        note="the 2,305 problems in file order",
    ),
}

#: the original files, at the commits of the copies in ``shared/data/mwp`` (raw.githubusercontent.com layout)
GITHUB_FILES = {
    "gsm8k": ("openai/grade-school-math", "3101c7d5", "grade_school_math/data/test.jsonl"),
    "svamp": ("arkilpatel/SVAMP", "689d7cca", "SVAMP.json"),
    "aqua": ("google-deepmind/AQuA", "26b64ed1", "test.json"),
    "math": ("ZubinGou/math-evaluation-harness", "db77bc6b", "data/math/test.jsonl"),
    "asdiv": ("chaochun/nlu-asdiv-dataset", "883f90a9", "dataset/ASDiv.xml"),
    "gsm8k-example-solutions": (
        "openai/grade-school-math", "3101c7d5", "grade_school_math/data/example_model_solutions.jsonl",
    ),
}


def github_url(name: str) -> str:
    """The raw URL of an original file (``name`` a dataset or ``gsm8k-example-solutions``)."""
    repo, commit, path = GITHUB_FILES[name]
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def download(dataset: str, revision: str | None = None) -> tuple[list[Problem], SourceInfo]:
    """Fetch every problem of ``dataset`` from the Hub (network); returns the problems and where they came from."""
    if dataset not in HUB_SOURCES:
        raise UnknownNameError("math word problem dataset", dataset, HUB_SOURCES)
    import datasets
    from huggingface_hub import HfApi

    spec = HUB_SOURCES[dataset]
    revision = revision or spec.revision
    try:
        commit = HfApi().dataset_info(spec.repo_id, revision=revision).sha
        problems: list[Problem] = []
        for config in spec.configs or (spec.config,):
            for split in spec.splits:
                rows = datasets.load_dataset(spec.repo_id, config, split=split, revision=commit)
                for row in rows:
                    index = len(problems)
                    problems.append(spec.parse(row, index, f"{config or 'default'}/{split} row {index}"))
    except (OSError, ConnectionError) as error:
        raise DownloadError(f"{spec.repo_id}: download failed ({error})") from error
    return problems, SourceInfo(
        uri=f"hf://datasets/{spec.repo_id}", revision=commit, description=spec.note or f"{dataset} from the Hub"
    )
