"""tool-sft: examples from real ToolHop rows with real tool outputs, TL-Training key-token weights, selective layers,
and a scaled-down run (a tiny random model with SmolLM2's tokenizer)."""

from __future__ import annotations

import json

import pytest

from knowbench.training.common.models import freeze_for_selective, spread_layers
from knowbench.training.toolhop import tool_sft_data
from knowbench.training.toolhop.tool_sft import ToolSftConfig, run_tool_sft

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
torch.set_num_threads(1)


def test_key_offsets():
    assert tool_sft_data.key_char_offsets("get_city_weather", ["get_city_time", "lookup"]) == [0, 9]
    assert tool_sft_data.key_char_offsets("abc", ["abc", "abcd"]) == [0]


def test_spread_layers():
    assert spread_layers(30, 0.25) == [0, 4, 8, 12, 17, 21, 25, 29]
    assert spread_layers(8, 0.25) == [0, 7]
    assert spread_layers(4, 0.1) == [2]


@pytest.fixture(scope="module")
def examples(toolhop_rows, tiny_model_dir):
    from knowbench.sandbox import ToolSandbox
    from knowbench.training.toolhop.prompts import SYSTEM_PROMPTS

    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    render = tool_sft_data.template_renderer(tokenizer, "compact")
    built = []
    with ToolSandbox(workers=1) as sandbox:
        for row in toolhop_rows[:6]:
            calls = tool_sft_data.gold_calls(row, sandbox, 300)
            example = tool_sft_data.build_example(row, calls, render, tokenizer.eos_token,
                                                  SYSTEM_PROMPTS["mandatory"])
            if example is not None:
                built.append(example)
    return tokenizer, built


def test_examples_from_real_rows(examples):
    tokenizer, built = examples
    assert len(built) >= 3
    for example in built:
        for call, (lo, hi) in zip(example.calls, example.targets, strict=False):
            target = example.text[lo:hi]
            assert target.startswith("<tool_call>") and target.endswith(tokenizer.eos_token)
            parsed = json.loads(target[len("<tool_call>"): target.index("</tool_call>")])
            assert parsed == {"name": call["name"], "arguments": call["arguments"]}
            assert example.text[call["start"]: call["start"] + len(call["name"])] == call["name"]
        plain = tool_sft_data.encode_example(example, tokenizer, weighted=False, max_tokens=4096)
        weighted = tool_sft_data.encode_example(example, tokenizer, weighted=True, max_tokens=4096)
        assert torch.equal(plain["labels"], weighted["labels"])
        n_key, n_other = weighted["n_key"], weighted["n_other"]
        assert n_key >= len(example.calls)
        expected = min(n_other / n_key, tool_sft_data.MAX_KEY_WEIGHT)
        assert weighted["key_weight"] == pytest.approx(expected)
        assert sorted(set(weighted["weights"][0].tolist())) == sorted({0.0, 1.0, expected})
        assert set(plain["weights"][0].tolist()) == {0.0, 1.0}
        # key tokens begin the tool names
        assert any(call["name"].startswith(t.strip('"').strip()) for t in weighted["key_tokens"]
                   for call in example.calls)


class _Oracle(torch.nn.Module):
    """A 'model' whose arg-max is the true next token (or, with ``wrong``, never is): bounds for the metrics."""

    def __init__(self, vocab: int, wrong: bool) -> None:
        super().__init__()
        self.vocab, self.wrong = vocab, wrong

    def forward(self, input_ids):
        following = torch.roll(input_ids, -1, dims=1)
        if self.wrong:
            following = (following + 1) % self.vocab
        logits = torch.nn.functional.one_hot(following, self.vocab).float() * 50
        return transformers.modeling_outputs.CausalLMOutput(logits=logits)


def test_teacher_forced_metrics_bounds(examples):
    from knowbench.training.toolhop.tool_sft import evaluate_examples

    tokenizer, built = examples
    best = evaluate_examples(_Oracle(len(tokenizer), False), tokenizer, built, 4096)
    worst = evaluate_examples(_Oracle(len(tokenizer), True), tokenizer, built, 4096)
    assert best["hops"] == worst["hops"] == sum(len(e.calls) for e in built)
    for key in ("tool_selection_accuracy", "argument_accuracy", "call_start_accuracy", "call_accuracy",
                "name_token_accuracy"):
        assert best[key] == 1.0 and worst[key] == 0.0, key
    assert best["target_loss"] < 0.01 < worst["target_loss"]


def test_selective_freezes_spread_layers(tiny_model_dir):
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    chosen = freeze_for_selective(model, 0.25)
    assert chosen == [0, 7]
    trainable = {name.split(".")[2] for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"0", "7"}


@pytest.mark.slow
def test_tool_sft_small_run(toolhop_folder, tiny_model_dir, tmp_path):
    config = ToolSftConfig(data=str(toolhop_folder), model=str(tiny_model_dir), rows_limit=10, epochs=1.0, lr=1e-3,
                           checkpoint_every=2, harness_rows=1)
    metrics = run_tool_sft(config, tmp_path / "run", quiet=True)
    assert metrics["train_rows"] >= 3 and metrics["held_out_rows"] >= 1
    for name in ("base", "plain", "weighted", "selective"):
        row = metrics["summary"][name]
        assert 0 <= row["tool_selection_accuracy"] <= 1 and row["target_loss"] > 0
    assert metrics["selective"]["trainable_parameters"] < metrics["weighted"]["trainable_parameters"]
    assert metrics["selective"]["layers"] == [0, 7]
    # plain and weighted start from the same weights and data, so only the loss weighting differs
    assert metrics["plain"]["losses"] != metrics["weighted"]["losses"]
    assert metrics["plain"]["target_loss"] < metrics["base"]["target_loss"]
    # the ToolHop harness ran the trained model end to end (Mandatory scenario, real sandbox) on a held-out row
    assert metrics["plain"]["harness"]["rows"] == 1
    assert len((tmp_path / "run/harness-plain/traces.jsonl").read_text().splitlines()) == 1


def test_sft_renderer_renders_like_the_backend(toolhop_rows, tiny_model_dir):
    from knowbench.backends.transformers_backend import chat_prompt

    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    row = toolhop_rows[0]
    tools = row.openai_tools()
    call = {"id": "c1", "type": "function",
            "function": {"name": tools[0]["function"]["name"], "arguments": json.dumps({"x": 1})}}
    messages = [{"role": "system", "content": "Answer."}, {"role": "user", "content": row.question},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": "42"}]
    full = tool_sft_data.template_renderer(tokenizer, "full")(messages, tools)
    assert full == chat_prompt(tokenizer, messages, tools)  # SmolLM2's template has no native tool support
    written = json.dumps({"name": call["function"]["name"], "arguments": {"x": 1}}, ensure_ascii=False)
    assert f"<tool_call>{written}</tool_call>" in full
    compact = tool_sft_data.template_renderer(tokenizer, "compact")(messages, tools)
    block = tool_sft_data.compact_tool_prompt(tools)
    assert block.splitlines()[-1].startswith("- ") and block in compact and block not in full
    assert compact.index(block) > compact.index("Answer.") > 0  # the tools join the existing system prompt
    assert tool_sft_data.template_renderer(tokenizer, "compact")(messages[1:2], None) == chat_prompt(
        tokenizer, messages[1:2])
