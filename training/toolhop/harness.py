"""The ToolHop evaluation loop: scenarios, real tool execution in a sandbox, per-row traces, resumable runs.

Rows come from :func:`knowbench.loaders.toolhop.load_rows`; the model is any :class:`ModelBackend`; tool calls run
through an injected sandbox (``knowbench.sandbox.ToolSandbox`` by default, never in the evaluator). Each finished row
is appended to ``RUN_DIR/traces.jsonl`` (a :class:`knowbench.io.RunLog`); a rerun skips the rows already there, so
an interrupted run resumes where it stopped. ``RUN_DIR/config.json`` records the run; resuming with another
configuration raises :class:`RunStateError`.

Example:
    >>> from knowbench.backends import load_backend  # doctest: +SKIP
    >>> from knowbench.sandbox import ToolSandbox  # doctest: +SKIP
    >>> rows = load_rows("out/toolhop")[:3]  # doctest: +SKIP
    >>> with ToolSandbox(workers=2) as sandbox:  # doctest: +SKIP
    ...     records = evaluate(rows, load_backend("transformers:smollm2"), EvalSettings("free"), "runs/free",
    ...                        sandbox=sandbox)
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from knowbench.backends.base import Completion, GenerationConfig, ModelBackend, ToolCall
from knowbench.errors import ConfigError, ContextLengthError, RunStateError
from knowbench.io import RunFolder
from knowbench.loaders.toolhop import ToolHopRow
from knowbench.training.toolhop.judge import JUDGES, extract_answer, normalise_text
from knowbench.training.toolhop.prompts import (
    FEEDBACKS,
    MANDATORY_REMINDER,
    MINIMAL_FEEDBACK,
    SCENARIOS,
    SYSTEM_PROMPTS,
)

TRACES = "traces.jsonl"
CONFIG = "config.json"
#: configuration keys that change traces; a resumed run must match them. Traces hold every judge's verdict, so
#: :func:`evaluate` may resume with another judge; :func:`check_run_dir` (the report of ``run_eval``) may not.
_RUN_KEYS = (
    "data_fingerprint",
    "model",
    "scenario",
    "feedback",
    "max_turns",
    "max_new_tokens",
    "temperature",
    "system_prompt",
    "max_tool_chars",
)


class Sandbox(Protocol):
    """What the harness needs from a sandbox (``knowbench.sandbox.ToolSandbox`` provides it)."""

    def call(
        self, source: str, fn_name: str, arguments: dict[str, Any], timeout: float | None = None
    ) -> Any: ...


@dataclass(frozen=True)
class EvalSettings:
    """How a ToolHop run evaluates: scenario, feedback on failed calls, judge, turn and token limits.

    Example:
        >>> EvalSettings("mandatory", feedback="minimal").max_turns
        9
    """

    scenario: str
    feedback: str = "detailed"
    judge: str = "typed"
    max_turns: int = 9
    max_new_tokens: int = 512
    batch_size: int = 8
    tool_timeout: float | None = None
    max_tool_chars: int = 4000

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ConfigError(
                f"scenario must be one of {', '.join(SCENARIOS)}, got scenario={self.scenario!r}"
            )
        if self.feedback not in FEEDBACKS:
            raise ConfigError(
                f"feedback must be one of {', '.join(FEEDBACKS)}, got feedback={self.feedback!r}"
            )
        JUDGES.get(self.judge)
        for name in ("max_turns", "max_new_tokens", "batch_size", "max_tool_chars"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {name}={getattr(self, name)}")

    @property
    def uses_tools(self) -> bool:
        return self.scenario != "direct"


def rows_fingerprint(rows: Sequence[ToolHopRow]) -> str:
    """A hash of the evaluated rows (ids, questions, answers, tool sources): a resumed run must see the same data."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r.id):
        digest.update(json.dumps([row.id, row.question, row.answer, [t.source for t in row.tools]]).encode())
    return digest.hexdigest()


def tool_reported_error(value: Any) -> str | None:
    """The error a tool *returned* instead of raising (ToolHop tools return ``{"error": "..."}``), else None."""
    if isinstance(value, dict):
        for key, message in value.items():
            if str(key).lower() == "error" and message:
                return str(message)
    if isinstance(value, str) and value.strip().lower().startswith("error:"):
        return value.strip()
    return None


def _render_value(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + f"... [truncated {len(text) - limit} characters]"


@dataclass
class Episode:
    """One row being answered: its messages so far, the turns taken and the tool calls executed."""

    row: ToolHopRow
    settings: EvalSettings
    messages: list[dict[str, Any]] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    status: str | None = None
    final_reply: str = ""
    started: float = field(default_factory=time.perf_counter)
    tool_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.messages = [
            {"role": "system", "content": SYSTEM_PROMPTS[self.settings.scenario]},
            {"role": "user", "content": self.row.question},
        ]
        self.tools = self.row.openai_tools() if self.settings.uses_tools else None

    @property
    def done(self) -> bool:
        return self.status is not None

    def record(self, judge_names: Sequence[str]) -> dict[str, Any]:
        answer = extract_answer(self.final_reply)
        tool_used = bool(self.calls)
        outputs = [normalise_text(_render_value(c["value"], 10**6)) for c in self.calls if c["ok"]]
        grounded = (
            answer is not None
            and bool(normalise_text(answer))
            and any(normalise_text(answer) in output for output in outputs)
        )
        verdicts = {
            name: JUDGES.get(name)(self.final_reply, self.row.answer, self.row.answer_type)
            for name in judge_names
        }
        # Mandatory: an answer counts only when the model used the tools at all (the paper's scenario rule)
        scored = {
            name: ok and (self.settings.scenario != "mandatory" or tool_used) for name, ok in verdicts.items()
        }
        return {
            "id": str(self.row.id),
            "row_id": self.row.id,
            "scenario": self.settings.scenario,
            "question": self.row.question,
            "gold": self.row.answer,
            "answer_type": self.row.answer_type,
            "n_hops": self.row.n_hops,
            "domain": self.row.domain,
            "status": self.status,
            "final_reply": self.final_reply,
            "answer": answer,
            "n_turns": len(self.turns),
            "n_calls": len(self.calls),
            "n_failed_calls": sum(1 for c in self.calls if not c["ok"]),
            "tool_used": tool_used,
            "answer_in_tool_output": grounded,
            "judged": verdicts,
            "correct": scored,
            "turns": self.turns,
            "tool_calls": self.calls,
            "messages": self.messages,
            "timing": {"seconds": time.perf_counter() - self.started, "tool_seconds": self.tool_seconds},
        }

    # -- one model turn -----------------------------------------------------------------------------------------
    def advance(self, completion: Completion, sandbox: Sandbox | None) -> None:
        settings = self.settings
        calls = list(completion.tool_calls) if settings.uses_tools else []
        text = _close_answer(completion)
        self.turns.append(
            {
                "turn": len(self.turns),
                "text": text,
                "raw_text": completion.extra.get("raw_text", completion.text),
                "finish_reason": completion.finish_reason,
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "n_tool_calls": len(calls),
            }
        )
        if calls:
            ids = [self._call_id(call, index) for index, call in enumerate(calls)]
            self.messages.append(
                {
                    "role": "assistant",
                    "content": text,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": call.name,
                                "arguments": call.raw_arguments
                                or json.dumps(call.arguments, ensure_ascii=False),
                            },
                        }
                        for call, call_id in zip(calls, ids, strict=True)
                    ],
                }
            )
            for call, call_id in zip(calls, ids, strict=True):
                content = self._execute(call, call_id, sandbox)
                self.messages.append(
                    {"role": "tool", "tool_call_id": call_id, "name": call.name, "content": content}
                )
            if len(self.turns) >= settings.max_turns:
                self.finish("max_turns", text)
            return
        self.messages.append({"role": "assistant", "content": text})
        if settings.scenario == "mandatory" and not self.calls:
            if len(self.turns) >= settings.max_turns:
                self.finish("max_turns", text)
            else:
                self.messages.append({"role": "user", "content": MANDATORY_REMINDER})
            return
        self.finish("answered" if extract_answer(text) is not None else "no_answer", text)

    def finish(self, status: str, reply: str) -> None:
        self.status, self.final_reply = status, reply

    def _call_id(self, call: ToolCall, index: int) -> str:
        seen = {c["call_id"] for c in self.calls}
        return call.id if call.id and call.id not in seen else f"call_{len(self.turns) - 1}_{index}"

    def _execute(self, call: ToolCall, call_id: str, sandbox: Sandbox | None) -> str:
        """Run one call and return the tool message the model sees (failures per the feedback mode)."""
        names = [tool.name for tool in self.row.tools]
        entry: dict[str, Any] = {
            "call_id": call_id,
            "turn": len(self.turns) - 1,
            "name": call.name,
            "arguments": call.arguments,
            "ok": False,
            "value": None,
            "error_kind": None,
            "error": None,
            "stdout": "",
        }
        if call.error:
            entry.update(error_kind="bad_arguments", error=call.error)
        elif call.name not in names:
            entry.update(error_kind="not_found", error=f"unknown function {call.name!r}; available: {names}")
        elif sandbox is None:
            raise ConfigError("a sandbox is needed to execute tool calls in the mandatory and free scenarios")
        else:
            started = time.perf_counter()
            result = sandbox.call(
                self.row.tool(call.name).source, call.name, call.arguments, timeout=self.settings.tool_timeout
            )
            self.tool_seconds += time.perf_counter() - started
            entry.update(value=result.value, stdout=result.stdout[:2000])
            reported = tool_reported_error(result.value) if result.ok else None
            if result.ok and reported is None:
                entry["ok"] = True
            elif result.ok:
                entry.update(error_kind="tool_error", error=reported)
            else:
                entry.update(error_kind=result.error_kind, error=result.error)
        self.calls.append(entry)
        if entry["ok"]:
            return _render_value(entry["value"], self.settings.max_tool_chars)
        if self.settings.feedback == "minimal":
            return MINIMAL_FEEDBACK
        if entry["error_kind"] == "tool_error":  # the tool's own returned message, as the tool wrote it
            return _render_value(entry["value"], self.settings.max_tool_chars)
        return _render_value(f"Error ({entry['error_kind']}): {entry['error']}", self.settings.max_tool_chars)


def _close_answer(completion: Completion) -> str:
    """Restore ``</answer>`` when generation stopped on that stop string (stop strings are cut from the text)."""
    text = completion.text
    if completion.finish_reason == "stop" and text.rfind("<answer>") > text.rfind("</answer>"):
        return text + "</answer>"
    return text


def run_config(
    rows: Sequence[ToolHopRow], backend: ModelBackend, settings: EvalSettings, data: str
) -> dict[str, Any]:
    return {
        "data": data,
        "data_fingerprint": rows_fingerprint(rows),
        "model": backend.model_name,
        "backend": type(backend).__name__,
        "scenario": settings.scenario,
        "feedback": settings.feedback,
        "judge": settings.judge,
        "max_turns": settings.max_turns,
        "max_new_tokens": settings.max_new_tokens,
        "temperature": 0.0,
        "system_prompt": SYSTEM_PROMPTS[settings.scenario],
        "max_tool_chars": settings.max_tool_chars,
        "settings": asdict(settings),
    }


#: the kind of run folder an evaluation writes (``config.json`` names it)
RUN_KIND = "toolhop-eval"


def prepare_run_dir(run_dir: Path, config: dict[str, Any], overwrite: bool = False) -> RunFolder:
    """Start the run folder, or resume it when the keys that change traces (``_RUN_KEYS``) are the same.

    The other keys (judge, data path, batch size) may change on resume and are recorded anew.
    """
    volatile = tuple(key for key in config if key not in _RUN_KEYS)
    return RunFolder(run_dir, config, kind=RUN_KIND, overwrite=overwrite, volatile=volatile)


def check_run_dir(run_dir: str | Path, rows: Sequence[ToolHopRow], settings: EvalSettings) -> None:
    """Before a model is loaded: refuse a run folder whose rows, settings or judge differ (RunStateError).

    The judge is checked too: resuming with another one would silently rescore the finished run. When the judge is
    all that differs, the one-line error names the command that re-judges the run's traces instead.
    """
    partial = {
        "data_fingerprint": rows_fingerprint(rows),
        "scenario": settings.scenario,
        "feedback": settings.feedback,
        "judge": settings.judge,
        "max_turns": settings.max_turns,
        "max_new_tokens": settings.max_new_tokens,
        "max_tool_chars": settings.max_tool_chars,
    }
    try:
        RunFolder.check(run_dir, partial, RUN_KIND, partial=True)
    except RunStateError as error:
        without_judge = {key: value for key, value in partial.items() if key != "judge"}
        try:
            RunFolder.check(run_dir, without_judge, RUN_KIND, partial=True)
        except RunStateError:
            raise error from None  # more than the judge differs: the error names every key
        raise RunStateError(
            f"{error}; to re-judge its traces run `knowbench eval toolhop-report {run_dir} --judge {settings.judge}`"
        ) from None


def evaluate(
    rows: Sequence[ToolHopRow],
    backend: ModelBackend,
    settings: EvalSettings,
    run_dir: str | Path,
    sandbox: Sandbox | None = None,
    data: str = "",
    progress: bool = True,
    on_row_done: Callable[[dict[str, Any]], None] | None = None,
    overwrite: bool = False,
) -> list[dict[str, Any]]:
    """Evaluate ``rows`` (resuming ``run_dir``) and return the trace records of all of them, in row order."""
    run = prepare_run_dir(Path(run_dir), run_config(rows, backend, settings, data), overwrite=overwrite)
    log = run.log(TRACES)
    done = log.done_ids()
    pending = [row for row in rows if str(row.id) not in done]
    config = GenerationConfig(temperature=0.0, max_new_tokens=settings.max_new_tokens, stop=("</answer>",))
    judge_names = JUDGES.names()

    from rich.progress import Progress

    from knowbench.progress import make_progress

    bar = make_progress() if progress else Progress(disable=True)
    with bar:
        task = bar.add_task(
            f"ToolHop {settings.scenario}", total=len(rows), completed=len(rows) - len(pending)
        )
        queue = list(pending)
        active: list[Episode] = []
        while queue or active:
            while queue and len(active) < settings.batch_size:
                active.append(Episode(queue.pop(0), settings))
            _step(active, backend, config, sandbox)
            for episode in [e for e in active if e.done]:
                record = episode.record(judge_names)
                log.append(record)
                active.remove(episode)
                bar.advance(task)
                if on_row_done is not None:
                    on_row_done(record)
    by_id = {record["id"]: record for record in log.records()}
    return [by_id[str(row.id)] for row in rows if str(row.id) in by_id]


def _step(
    active: list[Episode], backend: ModelBackend, config: GenerationConfig, sandbox: Sandbox | None
) -> None:
    """One model turn for every active episode, batched over episodes that share a tool list."""
    groups: dict[int, list[Episode]] = {}
    for episode in active:
        groups.setdefault(id(episode.tools) if episode.tools else 0, []).append(episode)
    for episodes in groups.values():
        tools = episodes[0].tools
        try:
            completions = backend.chat([e.messages for e in episodes], config, tools=tools)
        except ContextLengthError:
            completions = []
            for episode in episodes:  # find the conversations that overflow; the others go on
                try:
                    completions.append(backend.chat([episode.messages], config, tools=tools)[0])
                except ContextLengthError as error:
                    completions.append([])
                    episode.turns.append({"turn": len(episode.turns), "error": str(error)})
        for episode, options in zip(episodes, completions, strict=True):
            if not options:
                episode.finish("context_length", _last_assistant_text(episode))
                continue
            episode.advance(options[0], sandbox)


def _last_assistant_text(episode: Episode) -> str:
    for message in reversed(episode.messages):
        if message["role"] == "assistant":
            return message.get("content") or ""
    return ""
