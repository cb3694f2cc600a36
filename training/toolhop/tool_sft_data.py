"""Tool-use SFT examples from ToolHop rows, and the TL-Training key-token weights.

One example per row is the whole gold conversation of the Mandatory scenario, rendered exactly as the ToolHop
harness renders it for the model (``TransformersBackend.render_chat``): system prompt, question, then per hop the gold
tool call (``<tool_call>{"name": ..., "arguments": ...}</tool_call>``, arguments taken from the tool's own
"example usage" code) and the tool's real output (run in the sandbox), and finally ``<answer>gold</answer>``. Loss is
taken on the assistant turns only; the final answer is a target only when the last tool's output contains it. A
row is used up to its first hop whose tool has no resolvable example call or
whose example call fails.

Key tokens (TL-Training, Ye et al. 2024, arXiv:2412.15495, Sec. 3.2): the first token of the tool name, and the
token at which the gold name diverges from each other candidate name of the row. Their weight is
min(N_other / N_key, 9); every other target token weighs 1; the loss is the weighted sum of token losses divided by
the sum of the weights.

Example:
    >>> key_char_offsets("get_weather_by_city", ["get_weather_by_zip", "translate"])
    [0, 15]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from knowbench.errors import ConfigError

Renderer = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], str]

#: the most a key token may weigh (TL-Training's cap)
MAX_KEY_WEIGHT = 9.0


@dataclass
class SftExample:
    """One row's gold conversation: ``text``, the character spans of the assistant targets, and per tool call the
    character offset of the gold name in ``text`` with the row's other candidate names."""

    row_id: int
    text: str
    targets: list[tuple[int, int]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "start", "candidates", "arguments", "hop"}
    hops_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"row_id": self.row_id, "text": self.text, "targets": self.targets, "calls": self.calls,
                "hops_total": self.hops_total}


def key_char_offsets(gold: str, candidates: Sequence[str]) -> list[int]:
    """Offsets inside ``gold`` of its key characters: 0 (the name's start) and, for every other candidate, the
    first character where ``gold`` differs from it (when the candidate is not a prefix-extension of ``gold``)."""
    offsets = {0}
    for other in candidates:
        if other == gold:
            continue
        common = 0
        while common < min(len(gold), len(other)) and gold[common] == other[common]:
            common += 1
        if common < len(gold):
            offsets.add(common)
    return sorted(offsets)


def compact_tool_prompt(tools: list[dict[str, Any]], description_chars: int = 100) -> str:
    """A short tool block: one line per function, ``name(arg: type, ...): description`` (first sentence, cut to
    ``description_chars``), plus the call format. Keeps SFT sequences short enough for CPU training."""
    from knowbench.backends.tool_parsing import tool_prompt

    def line(function: dict[str, Any]) -> str:
        properties = (function.get("parameters") or {}).get("properties") or {}
        required = set((function.get("parameters") or {}).get("required") or [])
        arguments = ", ".join(f"{name}{'' if name in required else '?'}: {spec.get('type', 'any')}"
                              for name, spec in properties.items() if isinstance(spec, dict))
        description = (function.get("description") or "").split(". ")[0][:description_chars]
        return f"- {function.get('name')}({arguments}): {description}"

    return tool_prompt(tools, line)


def template_renderer(tokenizer: Any, schema: str = "full") -> Renderer:
    """Render like ``TransformersBackend.render_chat`` from a tokenizer alone (for templates without tool support:
    the tool list goes into the system prompt, calls become ``<tool_call>`` text). ``schema="compact"`` lists the
    tools with :func:`compact_tool_prompt` instead of their full JSON schemas."""
    from knowbench.backends.tool_parsing import tool_prompt
    from knowbench.backends.transformers_backend import chat_prompt

    if schema not in ("full", "compact"):
        raise ConfigError(f"schema must be 'full' or 'compact', got schema={schema!r}")
    describe = tool_prompt if schema == "full" else compact_tool_prompt

    def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
        return chat_prompt(tokenizer, messages, tools, native_tools=False, describe_tools=describe)

    return render


def gold_calls(row: Any, sandbox: Any, max_tool_chars: int) -> list[dict[str, Any]]:
    """Per hop, in order, the gold call ``{"hop", "name", "arguments", "output"}``, up to the first hop without a
    resolvable example call or whose call fails in the sandbox."""
    from knowbench.training.toolhop.harness import _render_value, tool_reported_error

    calls = []
    for tool in row.tools:
        examples = sandbox.example_calls(tool.source, tool.name)
        if not examples:
            break
        result = sandbox.call(tool.source, tool.name, examples[0])
        if not result.ok or tool_reported_error(result.value) is not None:
            break
        calls.append({"hop": tool.hop, "name": tool.name, "arguments": examples[0],
                      "output": _render_value(result.value, max_tool_chars)})
    return calls


def build_example(
    row: Any, calls: list[dict[str, Any]], render: Renderer, eos: str, system_prompt: str
) -> SftExample | None:
    """The rendered gold conversation of ``row`` with ``calls`` (None when no hop has a gold call)."""
    if not calls:
        return None
    tools = row.openai_tools()
    names = [tool.name for tool in row.tools]
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt},
                                      {"role": "user", "content": row.question}]
    example = SftExample(row.id, "", hops_total=len(row.tools))
    prompt = render(messages, tools)
    for index, call in enumerate(calls):
        call_id = f"call_{index}_0"
        messages.append({"role": "assistant", "content": "", "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["arguments"], ensure_ascii=False)}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "name": call["name"], "content": call["output"]})
        following = render(messages, tools)
        if not following.startswith(prompt):
            raise ConfigError(f"row {row.id}: the chat template does not render conversations as prefixes")
        segment = following[len(prompt):]
        end = segment.find(eos)
        if end < 0:
            raise ConfigError(f"row {row.id}: assistant turn does not end with {eos!r}")
        target = segment[: end + len(eos)]
        name_at = target.find(json.dumps(call["name"]))
        if name_at < 0:
            raise ConfigError(f"row {row.id}: tool name {call['name']!r} not found in the rendered call")
        example.targets.append((len(prompt), len(prompt) + len(target)))
        example.calls.append({"hop": call["hop"], "name": call["name"], "arguments": call["arguments"],
                              "start": len(prompt) + name_at + 1, "candidates": [n for n in names if n != call["name"]]})
        prompt = following
    from knowbench.training.toolhop.judge import normalise_text

    # the final answer is a target only when the last tool's real output holds it (else it would teach the model
    # to ignore what the tools return)
    if len(calls) == len(row.tools) and normalise_text(row.answer) in normalise_text(calls[-1]["output"]):
        answer = f"<answer>{row.answer}</answer>{eos}"
        example.targets.append((len(prompt), len(prompt) + len(answer)))
        prompt += answer
    example.text = prompt
    return example


def encode_example(
    example: SftExample, tokenizer: Any, weighted: bool, max_tokens: int
) -> dict[str, Any]:
    """Token ids, labels (-100 outside the targets) and per-token loss weights (key tokens up-weighted when
    ``weighted``); ``n_key`` / ``n_other`` count the target tokens. Truncated from the left beyond ``max_tokens``."""
    import torch

    encoded = tokenizer(example.text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    in_target = [any(s <= start < e for s, e in example.targets) for start, _ in offsets]
    key_chars = {call["start"] + offset for call in example.calls
                 for offset in key_char_offsets(call["name"], call["candidates"])}
    is_key = [in_target[i] and any(s <= c < max(e, s + 1) for c in key_chars) for i, (s, e) in enumerate(offsets)]
    n_key = sum(is_key)
    n_other = sum(in_target) - n_key
    key_weight = min(n_other / n_key, MAX_KEY_WEIGHT) if weighted and n_key else 1.0
    labels = [tok if target else -100 for tok, target in zip(ids, in_target, strict=True)]
    weights = [(key_weight if key else 1.0) if target else 0.0
               for key, target in zip(is_key, in_target, strict=True)]
    if len(ids) > max_tokens:
        cut = len(ids) - max_tokens
        ids, labels, weights, is_key = ids[cut:], labels[cut:], weights[cut:], is_key[cut:]
    return {
        "input_ids": torch.tensor([ids]),
        "labels": torch.tensor([labels]),
        "weights": torch.tensor([weights], dtype=torch.float32),
        "n_key": n_key,
        "n_other": n_other,
        "key_weight": key_weight,
        "key_tokens": [tokenizer.decode([t]) for t, k in zip(ids, is_key, strict=True) if k],
    }


def weighted_loss(model: Any, batch: dict[str, Any]) -> Any:
    """Sum of per-token cross-entropy times weight, divided by the sum of weights (TL-Training's normalisation);
    with all target weights 1 this is the plain SFT mean over target tokens."""
    import torch

    logits = model(input_ids=batch["input_ids"]).logits[:, :-1]
    labels = batch["labels"][:, 1:]
    weights = batch["weights"][:, 1:]
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100, reduction="none"
    )
    weights = weights.reshape(-1)
    return (losses * weights).sum() / weights.sum().clamp_min(1e-8)
