"""Model backends: real SmolLM2 generation (transformers) and the OpenAI client against a real local server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from knowbench.backends import GenerationConfig, load_backend
from knowbench.backends.tool_parsing import parse_text_tool_calls, tool_prompt
from knowbench.errors import BackendError, ConfigError, ContextLengthError, MissingInputError

QUESTIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Name three colors."}],
    [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What is 2 + 2?"}],
]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(scope="module")
def smollm2():
    return load_backend("transformers:smollm2", batch_size=8)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- tool calls written as text -----------------------------------------------------------------------------------
def test_parse_tagged_and_bare_tool_calls():
    text = 'First <tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call> then <tool_call>{"name": "g", "arguments": "{\\"y\\": [2]}"}</tool_call>'
    calls, rest = parse_text_tool_calls(text)
    assert [(c.name, c.arguments, c.error) for c in calls] == [("f", {"x": 1}, ""), ("g", {"y": [2]}, "")]
    assert rest == "First  then"
    calls, rest = parse_text_tool_calls(
        'Sure.\n```json\n{"name": "get_weather", "parameters": {"city": "Paris"}}\n```'
    )
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris"})]
    assert rest == "Sure."


def test_parse_keeps_malformed_calls_as_errors_and_ignores_plain_json():
    calls, _ = parse_text_tool_calls('<tool_call>{"name": "f", "arguments": {"x": 1}')  # unterminated JSON
    assert len(calls) == 1 and calls[0].name == "f" and "not valid JSON" in calls[0].error
    calls, rest = parse_text_tool_calls('The data is {"city": "Paris", "temp": 21}.')
    assert calls == [] and rest == 'The data is {"city": "Paris", "temp": 21}.'
    assert '"get_weather"' in tool_prompt([WEATHER_TOOL])


def test_generation_config_and_specs_are_validated():
    with pytest.raises(ConfigError, match="temperature=0"):
        GenerationConfig(n=3)
    with pytest.raises(ConfigError, match="http://HOST:PORT/v1#MODEL"):
        load_backend("openai:127.0.0.1:8000#m")
    with pytest.raises(MissingInputError, match=r"^/nonexistent/model: no such model folder \(known short names: smollm2\)$"):
        load_backend("transformers:/nonexistent/model")
    with pytest.raises(MissingInputError, match=r"/nonexistent/m\.gguf: no such GGUF file$"):
        load_backend("transformers:/nonexistent/m.gguf")
    with pytest.raises(BackendError, match="not a model folder"):
        load_backend(f"transformers:{Path(__file__).parent}")


def test_openai_tool_calls_decode_their_arguments_like_text_calls():
    from types import SimpleNamespace

    from knowbench.backends.openai_backend import _decode_tool_call

    def call(arguments):
        return _decode_tool_call(SimpleNamespace(id=None, function=SimpleNamespace(name="f", arguments=arguments)), 2)

    good = call('{"city": "Paris"}')
    assert (good.name, good.arguments, good.id, good.error) == ("f", {"city": "Paris"}, "call_2", "")
    assert (call("  ").arguments, call("  ").error, call(None).raw_arguments) == ({}, "", "")  # a call without arguments
    assert call('{"city": ').error.startswith("arguments are not valid JSON")
    assert call("[1]").error == "arguments must be a JSON object, got list: '[1]'"
    (text,) = parse_text_tool_calls('<tool_call>{"name": "f", "arguments": [1]}</tool_call>')[0]
    assert text.error.startswith("arguments must be a JSON object, got list")


def test_openai_backend_names_the_url_when_the_server_is_down():
    url = f"http://127.0.0.1:{_free_port()}/v1"  # bound then released: nothing listens there
    backend = load_backend(f"openai:{url}#smollm2", max_retries=0, timeout=5)
    with pytest.raises(BackendError, match=f"{url}: cannot reach the server"):
        backend.chat([QUESTIONS[0]], GenerationConfig(max_new_tokens=4))


# -- real SmolLM2 -------------------------------------------------------------------------------------------------
def test_smollm2_greedy_is_deterministic_and_counts_tokens(smollm2):
    config = GenerationConfig(max_new_tokens=6)
    first = smollm2.chat([QUESTIONS[0]], config)
    second = smollm2.chat([QUESTIONS[0]], config)
    assert first == second
    (completion,) = first[0]
    assert completion.text.strip() and 0 < completion.completion_tokens <= 6
    prompt = smollm2.render_chat(QUESTIONS[0])
    assert completion.prompt_tokens == smollm2.count_tokens(prompt)
    assert completion.finish_reason in {"stop", "length"}


@pytest.mark.slow
def test_smollm2_batched_greedy_equals_unbatched(smollm2):
    config = GenerationConfig(max_new_tokens=12)
    batched = smollm2.chat(QUESTIONS, config)
    single = [smollm2.chat([conversation], config)[0] for conversation in QUESTIONS]
    assert [c[0].text for c in batched] == [c[0].text for c in single]
    assert len({c[0].prompt_tokens for c in batched}) == 3  # different lengths really were padded


@pytest.mark.slow
def test_smollm2_sampling_n3_with_seed(smollm2):
    config = GenerationConfig(max_new_tokens=10, temperature=1.0, top_p=0.95, n=3, seed=7)
    (samples,) = smollm2.chat([QUESTIONS[1]], config)
    assert len(samples) == 3
    assert len({s.text for s in samples}) > 1  # sampling really samples
    assert smollm2.chat([QUESTIONS[1]], config) == [samples]  # and the seed makes it repeatable


@pytest.mark.slow
def test_smollm2_completion_with_stop_string_and_context_limit(smollm2):
    ((completion,),) = smollm2.complete(["1, 2, 3, 4, 5,"], GenerationConfig(max_new_tokens=12, stop=("8",)))
    assert "8" not in completion.text and completion.finish_reason == "stop"
    assert completion.text.replace(" ", "").startswith("6,7,")
    with pytest.raises(ContextLengthError, match="exceeds the context"):
        smollm2.complete(["word " * 50], GenerationConfig(max_new_tokens=smollm2.context_length))


@pytest.mark.slow
def test_smollm2_sees_tools_in_its_prompt_and_tool_history_renders(smollm2):
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "21 C, sunny"},
    ]
    prompt = smollm2.render_chat(history, [WEATHER_TOOL])
    assert (
        "get_weather" in prompt
        and '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}' in prompt
    )
    assert "21 C, sunny" in prompt
    ((completion,),) = smollm2.chat([history], GenerationConfig(max_new_tokens=16), tools=[WEATHER_TOOL])
    raw = completion.extra.get("raw_text", completion.text)
    assert list(completion.tool_calls) == parse_text_tool_calls(raw)[0]  # calls are exactly what it wrote


@pytest.mark.slow
def test_gguf_conversion_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("KNOWBENCH_MODEL_CACHE", str(tmp_path))
    first = load_backend("transformers:smollm2")
    assert first.converted and (tmp_path / "smollm2-135m-instruct" / "model.safetensors").is_file()
    config = json.loads((tmp_path / "smollm2-135m-instruct" / "config.json").read_text())
    assert config["architectures"] and "quantization_config" not in config
    second = load_backend("transformers:smollm2")
    assert not second.converted
    assert [p.name for p in tmp_path.iterdir()] == ["smollm2-135m-instruct"]  # no temporary folder left
    prompt = [QUESTIONS[0]]
    assert first.chat(prompt, GenerationConfig(max_new_tokens=6)) == second.chat(
        prompt, GenerationConfig(max_new_tokens=6)
    )


# -- the OpenAI-compatible backend against a real `transformers serve` ---------------------------------------------
@pytest.fixture(scope="module")
def served(smollm2, tmp_path_factory):
    """`transformers serve` on 127.0.0.1 serving the converted SmolLM2 folder (the same weights as ``smollm2``)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TRANSFORMERS_VERBOSITY": "error"}
    command = [
        str(Path(sys.executable).parent / "transformers"),
        "serve",
        str(smollm2.model_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as response:
                    if json.load(response)["data"]:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {log.read_text()[-2000:]}")
            time.sleep(1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
def test_openai_backend_against_transformers_serve(served, smollm2):
    backend = load_backend(f"openai:{served}")  # no #MODEL: the first model the server lists
    assert backend.model_name == str(smollm2.model_path)
    config = GenerationConfig(max_new_tokens=8)
    (completion,), (other,) = backend.chat([QUESTIONS[0], QUESTIONS[1]], config)
    assert (
        completion.text == smollm2.chat([QUESTIONS[0]], config)[0][0].text
    )  # same weights, same greedy text
    assert completion.prompt_tokens == smollm2.chat([QUESTIONS[0]], config)[0][0].prompt_tokens
    assert 0 < completion.completion_tokens <= 8 and other.text
    (with_tools,) = backend.chat(
        [[{"role": "user", "content": "Weather in Paris?"}]], config, tools=[WEATHER_TOOL]
    )
    assert (
        with_tools[0].tool_calls == ()
    )  # SmolLM2 via transformers serve: no structured call (counted honestly)
    (plain,) = backend.complete(["1, 2, 3, 4,"], GenerationConfig(max_new_tokens=4))
    assert plain[0].text.replace(" ", "").startswith("5")
    samples = backend.chat([QUESTIONS[1]], GenerationConfig(max_new_tokens=6, temperature=1.0, n=2, seed=1))
    assert len(samples[0]) == 2
