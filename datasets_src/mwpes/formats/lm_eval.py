"""``lm-eval``: the ``samples_<task>_<date>.jsonl`` files written by ``lm_eval --log_samples`` for the
``mwpes_<dataset>`` tasks of ``knowbench export lm-eval``.

Each line holds the harness's ``doc_id``, the ``doc`` (a :class:`~knowbench.datasets_src.mwpes.schema.Problem` row
of knowbench's readers, so the problem keeps its dataset, id, options and gold of any answer kind: a number, an
AQuA letter, a MATH LaTeX expression) and ``resps`` (the generations of each request; several with ``repeats``).
The model name and the generation settings come from the ``results_<date>.json`` the harness wrote beside the
samples in the same run. One record per generation, with ``source_id`` = ``<task>/<doc_id>``, the generation's
settings and ``sample_index``, and the run's settings as ``run_settings`` (ingest refuses files whose settings
differ, before writing anything).

Example:
    >>> parse_samples_name("samples_mwpes_gsm8k_2026-12-02T07-34-07.431894.jsonl")
    ('mwpes_gsm8k', '2026-12-02T07-34-07.431894')
    >>> generation_settings({"until": [], "do_sample": True, "temperature": 0.7, "top_p": 0.95}, "")
    ('sample', 0.7, 0.95, None)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from knowbench.datasets_src.mwpes.formats import FORMATS, Generation, SolutionRecord
from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import iter_jsonl

FORMAT = "lm-eval"
_SAMPLES = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")


def parse_samples_name(name: str) -> tuple[str, str]:
    """(task, date id) of a harness samples file name; other names raise."""
    match = _SAMPLES.match(name)
    if not match:
        raise SourceFormatError(name, None, "not an lm_eval --log_samples file name (samples_<task>_<date>.jsonl)")
    return match["task"], match["date"]


def _kwargs(value: Any) -> dict[str, Any]:
    """Generation kwargs given as a dict or as the CLI string ``temperature=0.7,do_sample=True``."""
    if isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for part in str(value or "").split(","):
        key, sep, raw = part.partition("=")
        if sep:
            try:
                out[key.strip()] = orjson.loads(raw.strip().lower() if raw.strip() in ("True", "False") else raw)
            except orjson.JSONDecodeError:
                out[key.strip()] = raw.strip()
    return out


def generation_settings(task_kwargs: dict[str, Any], cli_kwargs: Any) -> tuple[str, float, float, int | None]:
    """(strategy, temperature, top_p, max new tokens) of a task's generation kwargs with the run's overrides."""
    kwargs = {**task_kwargs, **_kwargs(cli_kwargs)}
    temperature = float(kwargs.get("temperature") or 0.0)
    top_p = float(kwargs.get("top_p") or 1.0)
    sampled = str(kwargs.get("do_sample", temperature > 0)).lower() == "true" and temperature > 0
    tokens = kwargs.get("max_gen_toks")
    return ("sample" if sampled else "greedy"), (temperature if sampled else 0.0), (top_p if sampled else 1.0), (
        int(tokens) if tokens is not None else None)


def model_name(results: dict[str, Any]) -> str:
    """The harness's model name; a local model folder is named by its last path component."""
    name = str(results.get("model_name") or results.get("config", {}).get("model") or "unknown")
    return Path(name).name if name.startswith(("/", "./", "~")) or os.path.isdir(name) else name


def _results(path: Path) -> dict[str, Any]:
    task, date = parse_samples_name(path.name)
    results_path = path.with_name(f"results_{date}.json")
    if not results_path.is_file():
        raise SourceFormatError(path, None, f"no {results_path.name} beside it (the harness writes both per run)")
    try:
        results = orjson.loads(results_path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise SourceFormatError(results_path, None, f"malformed JSON ({error})") from None
    if task not in (results.get("configs") or {}):
        raise SourceFormatError(results_path, None, f"has no config of task {task!r}")
    return results


def read_samples(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[tuple[int, Problem, list[str]]]]:
    """The run settings and every ``(doc_id, problem, generations)`` of one samples file."""
    path = Path(path)
    task, date = parse_samples_name(path.name)
    results = _results(path)
    config = results["configs"][task]
    strategy, temperature, top_p, tokens = generation_settings(config.get("generation_kwargs") or {},
                                                               results.get("config", {}).get("gen_kwargs"))
    settings = {"task": task, "model": model_name(results), "strategy": strategy, "temperature": temperature,
                "top_p": top_p, "max_new_tokens": tokens, "repeats": int(config.get("repeats") or 1),
                "lm_eval_version": results.get("lm_eval_version"),
                # a chat-completions API applies the template server-side (the results then name none)
                "chat_template": bool(results.get("chat_template"))
                or "chat-completions" in str(results.get("config", {}).get("model")),
                "date": date}
    items = []
    for line, record in iter_jsonl(path):
        where = f"line {line}"
        doc, resps = record.get("doc"), record.get("resps")
        if not isinstance(record.get("doc_id"), int) or not isinstance(doc, dict):
            raise SourceFormatError(path, where, "needs an integer doc_id and a doc object")
        try:
            problem = Problem.from_dict(doc)
        except (KeyError, TypeError) as error:
            raise SourceFormatError(path, where, f"doc is not a knowbench problem row (missing {error}); "
                                    "export the task with `knowbench export lm-eval`") from None
        if (not isinstance(resps, list) or not resps or not isinstance(resps[0], list)
                or not all(isinstance(t, str) for t in resps[0])):
            raise SourceFormatError(path, where, f"resps must be a list of lists of generations, got {resps!r:.80}")
        items.append((record["doc_id"], problem, list(resps[0])))
    return settings, items


def _strategy_key(dataset: str, settings: dict[str, Any], path: Path, where: str) -> str:
    """The strategy key of sample ids, as ``collect mwp`` spells it (its config validates the settings)."""
    from knowbench.datasets_src.mwpes.collect import CollectConfig

    try:
        return CollectConfig(dataset=dataset, backend=f"lm-eval:{settings['model']}", strategy=settings["strategy"],
                             temperature=settings["temperature"], top_p=settings["top_p"],
                             samples=settings["repeats"]).strategy_key
    except ConfigError as error:
        raise SourceFormatError(path, where, str(error)) from None


@FORMATS.register(FORMAT)
def read(path: str | os.PathLike[str], model: str | None = None) -> Iterator[SolutionRecord]:
    """One record per generation of a samples file; ``model`` overrides the name the results file gives."""
    path = Path(path)
    settings, items = read_samples(path)
    if model is not None:
        settings["model"] = model
    run_settings = tuple((k, v) for k, v in settings.items() if k not in ("task", "date", "repeats"))
    run_settings += (("samples", settings["repeats"]),)
    style = "lm-eval-chat" if settings["chat_template"] else "lm-eval"
    keys: dict[str, str] = {}
    for number, (doc_id, problem, texts) in enumerate(items, 1):
        if problem.dataset not in keys:
            keys[problem.dataset] = _strategy_key(problem.dataset, settings, path, f"line {number}")
        settings_of = (*run_settings, ("strategy_key", keys[problem.dataset]))
        for index, text in enumerate(texts):
            yield SolutionRecord(problem.question, text, problem.gold_answer, settings["model"], number,
                                 reference=problem.gold_solution, source_id=f"{settings['task']}/{doc_id}",
                                 dataset=problem.dataset, strategy=settings["strategy"], problem=problem,
                                 generation=Generation(settings["temperature"], settings["top_p"], index,
                                                       keys[problem.dataset], style),
                                 run_settings=settings_of, path=str(path))
