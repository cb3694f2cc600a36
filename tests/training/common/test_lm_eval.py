"""lm-evaluation-harness export: every task loads and scores offline, the harness and knowbench judge alike.

Folders are built by the real builders from ``../shared/data``. The harness runs in-process
(``lm_eval.simple_evaluate``) with its ``dummy`` model, and for the "one judge" checks with a replay model: a
real lm-eval ``LM`` that answers every request with a reply derived from the document (right answers, aliases,
outdated values, signs, wrong answers, no answer). knowbench's own eval receives the very same replies through a
replay backend or its resumable sample log, and both must give the same score for every document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

pytest.importorskip("lm_eval")
from lm_eval.api.model import LM

from knowbench.backends.base import BACKENDS, Completion, GenerationConfig, ModelBackend
from knowbench.builders import get_builder
from knowbench.builders.writer import build_to_folder
from knowbench.training.common.lm_eval import MANIFEST, write_export

MWP_SOURCES = {"gsm8k": "gsm8k_test.jsonl", "svamp": "svamp_SVAMP.json", "aqua": "aqua_test.json",
               "math": "math_test.jsonl", "asdiv": "asdiv_ASDiv.xml"}
EVOWIKI_STATES = ("stable", "evolved", "uncharted")
ALL_TASKS = [
    *(f"evowiki_{s}" for s in EVOWIKI_STATES), *(f"evowiki_{s}_rag" for s in EVOWIKI_STATES),
    "smi_cbqa", "toolhop_direct", *(f"mwpes_{d}" for d in MWP_SOURCES),
]


# -- built folders and the exported tasks ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def evowiki_folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wiki = shared_data / "wiki"
    out = tmp_path_factory.mktemp("built") / "evowiki"
    build_to_folder(get_builder(
        "evowiki", wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff="2014-06-01", retrievers=["bm25"],
        wikipedia=[wiki / "wikipedia" / "maribelacosta__wikiwho__enwiki-Anarchism-history-yearly.xml",
                   wiki / "wikipedia" / "pywikibot_article-pear-0.10.xml"],
    ), out)
    return out


@pytest.fixture(scope="module")
def triples_folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 3 facts of every relation of the SMI paper's fact list (45 facts x 20 templates)."""
    facts = json.loads((shared_data / "smi" / "pararel_15classes.json").read_text())
    subset, seen = [], {}
    for fact in facts:
        if seen.setdefault(fact["rel"], 0) < 3:
            seen[fact["rel"]] += 1
            subset.append(fact)
    root = tmp_path_factory.mktemp("built")
    (root / "facts.json").write_text(json.dumps(subset))
    build_to_folder(get_builder("triples", facts=root / "facts.json"), root / "triples")
    return root / "triples"


@pytest.fixture(scope="module")
def templates(shared_data: Path) -> Path:
    return shared_data / "smi" / "pararel_multi_templates.json"


@pytest.fixture(scope="module")
def mwp_sources(shared_data: Path) -> list[str]:
    return [f"{name}={shared_data / 'mwp' / file}" for name, file in MWP_SOURCES.items()]


@pytest.fixture(scope="module")
def tasks(evowiki_folder: Path, triples_folder: Path, toolhop_folder: Path, templates: Path,
          mwp_sources: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All four exports side by side in one tasks folder."""
    from knowbench.training.evowiki.lm_eval import build_export as evowiki
    from knowbench.training.mwpes.lm_eval import build_export as mwpes
    from knowbench.training.toolhop.lm_eval import build_export as toolhop
    from knowbench.training.triples.lm_eval import build_export as triples

    out = tmp_path_factory.mktemp("tasks") / "tasks"
    for export in (evowiki(evowiki_folder), triples(triples_folder, templates), toolhop(toolhop_folder),
                   mwpes(mwp_sources, out=out)):
        write_export(export, out)
    return out


def evaluate(tasks: Path, names: list[str], model: Any = "dummy", limit: int | None = 5) -> dict[str, Any]:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    return simple_evaluate(model=model, tasks=names, limit=limit, task_manager=TaskManager(include_path=str(tasks), include_defaults=False),
                           log_samples=True, bootstrap_iters=0, verbosity="WARNING")


# -- the export itself ---------------------------------------------------------------------------------------
def test_exports_sit_side_by_side_and_point_at_the_built_shards(tasks: Path, evowiki_folder: Path) -> None:
    import yaml

    assert sorted(p.name for p in tasks.iterdir()) == ["evowiki", "mwpes", "toolhop", "triples"]
    names = {p.stem for p in tasks.rglob("*.yaml")}
    assert names == {*ALL_TASKS, "evowiki", "evowiki_rag"}
    manifest = json.loads((tasks / "evowiki" / MANIFEST).read_text())
    assert manifest["data"] == str(evowiki_folder.resolve()) and manifest["retriever"] == "bm25"
    provenance = json.loads((evowiki_folder / "provenance.json").read_text())
    stable = next(s for s in provenance["splits"] if s["config"] == "stable")
    text = (tasks / "evowiki" / "evowiki_stable.yaml").read_text()
    assert "!function knowbench_evowiki_utils.process_results" in text
    config = yaml.safe_load(text.replace("!function ", ""))
    assert config["dataset_kwargs"]["data_files"]["test"] == [str(evowiki_folder.resolve() / f) for f in stable["files"]]


def test_reexport_replaces_only_its_own_folder(tasks: Path, toolhop_folder: Path, tmp_path: Path) -> None:
    from knowbench.errors import OutputError
    from knowbench.training.toolhop.lm_eval import build_export

    before = {p: p.stat().st_mtime_ns for p in (tasks / "mwpes").iterdir()}
    write_export(build_export(toolhop_folder), tasks)
    assert {p: p.stat().st_mtime_ns for p in (tasks / "mwpes").iterdir()} == before
    (tmp_path / "toolhop").mkdir()
    (tmp_path / "toolhop" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError):
        write_export(build_export(toolhop_folder), tmp_path)
    assert (tmp_path / "toolhop" / "notes.txt").read_text() == "mine"


def test_export_errors_name_the_problem(triples_folder: Path, tmp_path: Path) -> None:
    from knowbench.errors import ConfigError, DatasetFolderError
    from knowbench.training.mwpes.lm_eval import build_export as mwpes
    from knowbench.training.triples.lm_eval import build_export as triples

    (tmp_path / "t.json").write_text(json.dumps({"plays": ["[S] plays"]}))
    with pytest.raises(ConfigError, match="no templates for relation"):
        triples(triples_folder, tmp_path / "t.json")
    with pytest.raises(DatasetFolderError, match="no provenance.json"):
        triples(tmp_path, tmp_path / "t.json")
    with pytest.raises(ConfigError, match="DATASET=FILE"):
        mwpes(["gsm8k"])


def test_cli_export_writes_the_tasks(toolhop_folder: Path, tmp_path: Path) -> None:
    from knowbench.cli import main

    assert main(["export", "lm-eval", "--data", str(toolhop_folder), "--out", str(tmp_path / "tasks")]) == 0
    assert (tmp_path / "tasks" / "toolhop" / "toolhop_direct.yaml").is_file()
    assert main(["export", "lm-eval", "--out", str(tmp_path / "tasks")]) == 1


def run_cli(args: list[str]) -> None:
    """Run the ``lm_eval`` command line offline (the hub libraries read the offline switches at import)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "lm_eval", *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def results_of(output: Path) -> dict[str, Any]:
    (path,) = output.rglob("results_*.json")
    return json.loads(path.read_text())


def test_every_task_loads_and_scores_offline_with_the_dummy_model(tasks: Path, tmp_path: Path) -> None:
    # the group evowiki brings its three closed-book tasks (asking for both would name them twice)
    names = ["evowiki", *(t for t in ALL_TASKS if t not in {f"evowiki_{s}" for s in EVOWIKI_STATES})]
    run_cli(["--model", "dummy", "--tasks", ",".join(names), "--include_path", str(tasks), "--limit", "5",
             "--output_path", str(tmp_path / "out")])
    results = results_of(tmp_path / "out")
    for name in ALL_TASKS:
        assert results["n-samples"][name]["effective"] == min(5, results["n-samples"][name]["original"]) > 0, name
        scores = {k: v for k, v in results["results"][name].items() if "," in k and "stderr" not in k}
        assert scores and all(0 <= v <= 1 for v in scores.values()), (name, scores)
    # "lol" answers nothing: no task may count it correct
    assert results["results"]["toolhop_direct"]["typed,none"] == 0
    assert results["results"]["mwpes_gsm8k"]["no_answer,all"] == 1
    assert "em_latest,none" in results["results"]["evowiki"]


# -- one judge: the same replies scored by the harness and by knowbench's own eval ----------------------------
def _pick(key: str, options: list[str]) -> str:
    return options[zlib.crc32(key.encode()) % len(options)]


class ReplayLM(LM):
    """An lm-eval model answering each request with ``reply(doc, context, repeat)``."""

    def __init__(self, reply: Callable[[dict[str, Any], str, int], str]) -> None:
        super().__init__()
        self.reply, self.calls = reply, {}

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        out = []
        for request in requests:
            context = request.arguments[0]
            repeat = self.calls.get(context, 0)
            self.calls[context] = repeat + 1
            out.append(self.reply(request.doc, context, repeat))
        return out

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError


class ReplayBackend(ModelBackend):
    """A knowbench backend answering each conversation / prompt with ``reply(text, sample)``; as the backend spec
    ``replay:NAME`` it answers with ``REPLIES[NAME]``."""

    model_name = "replay"
    REPLIES: ClassVar[dict[str, Callable[[str, int], str]]] = {}

    def __init__(self, reply: Callable[[str, int], str] | str) -> None:
        self.reply = self.REPLIES[reply] if isinstance(reply, str) else reply

    def chat(self, conversations: list[list[dict[str, Any]]], config: GenerationConfig,
             tools: list[dict[str, Any]] | None = None) -> list[list[Completion]]:
        return [[Completion(self.reply(c[-1]["content"], i), finish_reason="stop") for i in range(config.n)]
                for c in conversations]

    def complete(self, prompts: list[str], config: GenerationConfig) -> list[list[Completion]]:
        return [[Completion(self.reply(p, i), finish_reason="stop") for i in range(config.n)] for p in prompts]


if "replay" not in BACKENDS:
    BACKENDS.register("replay")(ReplayBackend)


def test_one_judge_evowiki(tasks: Path, evowiki_folder: Path, tmp_path: Path) -> None:
    from knowbench.loaders.evowiki import load_rows
    from knowbench.training.evowiki.eval import run_eval

    rows = {r.question: r for r in load_rows(evowiki_folder)}

    def reply(question: str) -> str:
        row = rows[question]
        old = [n for v in row.all_answers if not v.current for n in v.names()]
        return _pick(question, [row.answer, f"The {row.answer.upper()}.", f"{(old or ['Nobody'])[0]}",
                                f"I think\n{row.answer}", f"{row.answer} and more", "Nobody knows"])

    names = [f"evowiki_{s}" for s in EVOWIKI_STATES]
    harness = evaluate(tasks, names, ReplayLM(lambda doc, context, _: reply(doc["question"])), limit=None)
    ReplayBackend.REPLIES["evowiki"] = lambda content, _: reply(content.removeprefix("Question: ").removesuffix("\nAnswer:"))
    report = run_eval(evowiki_folder, "replay:evowiki", tmp_path / "run")
    for state in EVOWIKI_STATES:
        got = harness["results"][f"evowiki_{state}"]
        for metric in ("em_latest", "em_all", "contains_latest", "contains_all"):
            assert got[f"{metric},none"] == pytest.approx(report["answers"][state][metric], abs=1e-12), (state, metric)
        assert harness["n-samples"][f"evowiki_{state}"]["effective"] == report["answers"][state]["n"]
    assert harness["results"]["evowiki_evolved"]["outdated,none"] == pytest.approx(
        report["answers"]["evolved"]["outdated"], abs=1e-12)
    assert 0 < report["answers"]["all"]["em_latest"] < report["answers"]["all"]["contains_all"] < 1


def test_evowiki_rag_prompt_is_knowbench_prompt(tasks: Path, evowiki_folder: Path) -> None:
    from knowbench.loaders.evowiki import load_corpus, load_rows
    from knowbench.training.evowiki.eval import SYSTEM, _prompt

    results = evaluate(tasks, ["evowiki_evolved_rag"], ReplayLM(lambda doc, context, _: "Nobody"), limit=3)
    rows, corpus = {r.id: r for r in load_rows(evowiki_folder, "evolved")}, load_corpus(evowiki_folder)
    for sample in results["samples"]["evowiki_evolved_rag"]:
        messages = _prompt(rows[sample["doc"]["id"]], corpus, "bm25", 5)
        assert sample["arguments"][0][0] == f"{SYSTEM}\n\n{messages[1]['content']}"
        assert "Passages:\n[1] " in messages[1]["content"]


def test_one_judge_toolhop(tasks: Path, toolhop_folder: Path, tmp_path: Path) -> None:
    from knowbench.loaders.toolhop import load_rows
    from knowbench.training.toolhop import EvalSettings, run_eval

    rows = {r.question: r for r in load_rows(toolhop_folder)}

    def reply(question: str) -> str:  # generation stops at </answer>, which the stop sequence cuts off
        gold = rows[question].answer
        return _pick(question, [f"<answer>{gold}", f"<answer>-{gold}", f"It is {gold}.", "<answer>none",
                                f"<answer> {gold.upper()} ", "Reasoning only"])

    harness = evaluate(tasks, ["toolhop_direct"], ReplayLM(lambda doc, c, _: reply(doc["question"])), limit=None)
    run_eval(str(toolhop_folder), ReplayBackend(lambda text, _: reply(text)), EvalSettings("direct"), tmp_path,
             progress=False)
    traces = {r["question"]: r for r in map(json.loads, (tmp_path / "traces.jsonl").read_text().splitlines())}
    for name in ("typed", "containment"):
        per_doc = {s["doc"]["question"]: s[name] for s in harness["samples"]["toolhop_direct"]}
        assert per_doc == {q: float(t["correct"][name]) for q, t in traces.items()}, name
    typed, containment = (harness["results"]["toolhop_direct"][f"{m},none"] for m in ("typed", "containment"))
    assert 0 < typed < containment < 1


def test_one_judge_cbqa(tasks: Path, triples_folder: Path, templates: Path, tmp_path: Path) -> None:
    from knowbench.datasets_src.triples.pararel import load_templates
    from knowbench.loaders.triples import load_facts
    from knowbench.training.common.lm_eval import write_export
    from knowbench.training.triples.cbqa import CBQAConfig, run_cbqa
    from knowbench.training.triples.lm_eval import build_export

    facts = load_facts(triples_folder)
    objects = {f.subject: f.object for f in facts}

    def reply(prompt: str, sample: int) -> str:
        subject = next(s for s in objects if s in prompt)
        obj = objects[subject]
        return _pick(f"{prompt}|{sample}", [f" {obj}.", f" {obj.lower()} and", " nothing", f" the {obj}s"])

    sampled = tmp_path / "tasks"
    write_export(build_export(triples_folder, templates, samples=2), sampled)
    harness = evaluate(sampled, ["smi_cbqa"], ReplayLM(lambda doc, context, n: reply(context, n)), limit=None)
    results = run_cbqa(facts, load_templates(templates), ReplayBackend(reply), tmp_path / "run",
                       CBQAConfig(samples=2))
    mean = sum(r.accuracy for r in results) / len(results)
    assert harness["results"]["smi_cbqa"]["acc,all"] == pytest.approx(mean, abs=1e-12)
    assert harness["n-samples"]["smi_cbqa"]["effective"] == sum(r.samples for r in results) // 2
    assert 0 < mean < 1


def test_one_judge_mwpes(tasks: Path, mwp_sources: list[str], tmp_path: Path) -> None:
    from knowbench.datasets_src.mwpes import read_problems
    from knowbench.datasets_src.mwpes.collect import CollectConfig, collect
    from knowbench.datasets_src.mwpes.prompts import build_messages

    def reply(prompt: str, gold: str) -> str:
        return _pick(prompt, [f"So we get {gold}.\nThe answer is {gold}.", f"The answer is \\boxed{{{gold}}}",
                              f"The answer is {gold}1.", "I do not know.", f"Answer: ({gold})", "The answer is (E)."])

    limit = 40
    names = [f"mwpes_{source.partition('=')[0]}" for source in mwp_sources]
    harness = evaluate(tasks, names, ReplayLM(lambda doc, context, _: reply(context, doc["gold_answer"])), limit=limit)
    for source in mwp_sources:
        dataset, _, path = source.partition("=")
        problems = read_problems(dataset, path)[:limit]
        golds = {build_messages(p)[-1]["content"]: p.gold_answer for p in problems}
        run = tmp_path / dataset
        collect(problems, CollectConfig(dataset=dataset, backend="replay:x"), run,
                ReplayBackend(lambda text, _, golds=golds: reply(text, golds[text])), show_progress=False)
        verdicts = {json.loads(line)["problem_id"]: json.loads(line)["verdict"]
                    for line in (run / "samples.jsonl").read_text().splitlines()}
        per_doc = {s["doc"]["problem_id"]: s["acc"] for s in harness["samples"][f"mwpes_{dataset}"]}
        assert per_doc == {pid: float(v == "correct") for pid, v in verdicts.items()}, dataset
        assert 0 < sum(per_doc.values()) < len(per_doc), dataset


# -- slow: SmolLM2 through the harness, its replies scored by knowbench, and back into MWPES ----------------------
MAX_GEN_TOKS = 160


@pytest.fixture(scope="module")
def smollm2_run(tasks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``lm_eval --model hf`` run of SmolLM2-135M-Instruct (the converted folder) on 5 rows of every task,
    its replies capped at ``MAX_GEN_TOKS`` tokens (a ``--gen_kwargs`` override, which ingest must pick up)."""
    from knowbench.training.common.models import model_folder

    try:
        folder = model_folder("smollm2")
    except Exception as error:  # the GGUF package is missing
        pytest.skip(f"SmolLM2 not available: {error}")
    output = tmp_path_factory.mktemp("smollm2") / "out"
    names = ["evowiki", *(t for t in ALL_TASKS if t not in {f"evowiki_{s}" for s in EVOWIKI_STATES})]
    run_cli(["--model", "hf", "--model_args", f"pretrained={folder},dtype=float32", "--device", "cpu",
             "--batch_size", "8", "--tasks", ",".join(names), "--include_path", str(tasks), "--limit", "5",
             "--apply_chat_template", "--gen_kwargs", f"max_gen_toks={MAX_GEN_TOKS}", "--log_samples",
             "--output_path", str(output)])
    return output


def logged(output: Path, task: str) -> list[dict[str, Any]]:
    from knowbench.datasets_src.mwpes.formats.lm_eval import parse_samples_name

    (path,) = [p for p in output.rglob(f"samples_{task}_*.jsonl") if parse_samples_name(p.name)[0] == task]
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_smollm2_scores_every_task(smollm2_run: Path) -> None:
    results = results_of(smollm2_run)
    for name in ALL_TASKS:
        assert results["n-samples"][name]["effective"] == min(5, results["n-samples"][name]["original"]), name
        scores = {k: v for k, v in results["results"][name].items() if "," in k and "stderr" not in k}
        assert scores and all(0 <= v <= 1 for v in scores.values()), (name, scores)
        texts = [t for s in logged(smollm2_run, name) for r in s["resps"] for t in (r if isinstance(r, list) else [r])]
        assert any(t.strip() for t in texts), name  # the model really generated


@pytest.mark.slow
def test_one_judge_on_smollm2_replies(smollm2_run: Path, toolhop_folder: Path, evowiki_folder: Path,
                                      tmp_path: Path) -> None:
    """SmolLM2's own replies, logged by the harness, scored again by knowbench's eval commands."""
    from knowbench.training.evowiki.eval import run_eval as evowiki_eval
    from knowbench.training.toolhop import EvalSettings
    from knowbench.training.toolhop import run_eval as toolhop_eval

    samples = logged(smollm2_run, "toolhop_direct")
    replies = {s["doc"]["question"]: s["resps"][0][0] for s in samples}
    toolhop_eval(str(toolhop_folder), ReplayBackend(lambda text, _: replies[text]), EvalSettings("direct"),
                 tmp_path / "toolhop", limit=len(samples), progress=False)
    traces = {r["question"]: r for r in map(json.loads, (tmp_path / "toolhop" / "traces.jsonl").read_text().splitlines())}
    for name in ("typed", "containment"):
        assert {s["doc"]["question"]: s[name] for s in samples} == {
            q: float(traces[q]["correct"][name]) for q in replies}, name
    for state in EVOWIKI_STATES:
        samples = logged(smollm2_run, f"evowiki_{state}")
        answers = {s["doc"]["question"]: s["resps"][0][0] for s in samples}
        ReplayBackend.REPLIES[state] = lambda content, _, a=answers: a.get(
            content.removeprefix("Question: ").removesuffix("\nAnswer:"), "")
        report = evowiki_eval(evowiki_folder, f"replay:{state}", tmp_path / state)
        wanted = {s["doc"]["id"] for s in samples}
        records = [json.loads(line) for line in (tmp_path / state / "samples.jsonl").read_text().splitlines()]
        assert {r["id"]: r["prediction"] for r in records if r["id"] in wanted} == {
            s["doc"]["id"]: s["resps"][0][0] for s in samples}
        if len(samples) == report["answers"][state]["n"]:  # the harness saw the whole state: same scores
            results = results_of(smollm2_run)["results"][f"evowiki_{state}"]
            for metric in ("em_latest", "em_all", "contains_latest", "contains_all"):
                assert results[f"{metric},none"] == pytest.approx(report["answers"][state][metric], abs=1e-12)


@pytest.mark.slow
def test_round_trip_log_samples_ingest_build(smollm2_run: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from knowbench.cli import main

    files = sorted(smollm2_run.rglob("samples_mwpes_gsm8k_*.jsonl"))
    assert main(["ingest", "mwpes", "--format", "lm-eval", "--solutions", str(files[0]), *map(str, files[1:]),
                 "--out", str(tmp_path / "run")]) == 0
    records = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert len(records) == 5 and config["model"] == "smollm2-135m-instruct" and config["chat_template"]
    assert config["max_new_tokens"] == MAX_GEN_TOKS and config["strategy"] == "greedy"
    assert {r["source_id"] for r in records} == {f"mwpes_gsm8k/{i}" for i in range(5)}
    assert main(["build", "mwpes", "--runs", str(tmp_path / "run"), "--out", str(tmp_path / "mwpes"), "--quiet"]) == 0
    wrong = {r["source_id"] for r in records if r["verdict"] != "correct"}
    counts = pq.read_table(next((tmp_path / "mwpes" / "data" / "counts").glob("*.parquet"))).to_pylist()
    assert [(c["model"], c["samples"]) for c in counts] == [("smollm2-135m-instruct", 5)]
    if wrong:
        shards = sorted((tmp_path / "mwpes" / "data" / "gsm8k").glob("*.parquet"))
        assert set(pq.read_table(shards).column("source_id").to_pylist()) <= wrong
