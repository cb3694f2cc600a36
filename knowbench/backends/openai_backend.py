"""Any OpenAI-compatible server (vLLM, llama.cpp, transformers serve, OpenAI) through the ``openai`` client.

Spec: ``openai:http://127.0.0.1:8000/v1#MODEL``; without ``#MODEL`` the first model the server lists is used. The
API key comes from ``OPENAI_API_KEY`` (``"EMPTY"`` by default, which local servers accept). Retries and timeouts are
the client's own (``max_retries``, ``timeout``). Requests for a batch run concurrently in threads; when a server
returns fewer than ``n`` choices per request (many local servers ignore ``n``), the rest is requested one by one.

Example:
    >>> backend = load_backend("openai:http://127.0.0.1:8000/v1#SmolLM2")  # doctest: +SKIP
    >>> backend.chat([[{"role": "user", "content": "Hi"}]], GenerationConfig(max_new_tokens=8))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from knowbench.backends.base import BACKENDS, Completion, GenerationConfig, ModelBackend, ToolCall
from knowbench.backends.tool_parsing import decode_arguments, parse_text_tool_calls
from knowbench.errors import BackendError, ConfigError, MissingDependencyError


def _decode_tool_call(call: Any, index: int) -> ToolCall:
    function = call.function
    raw = function.arguments or ""
    arguments, raw, error = decode_arguments(raw) if raw.strip() else ({}, raw, "")  # blank: a call without arguments
    return ToolCall(
        name=function.name or "",
        arguments=arguments,
        id=call.id or f"call_{index}",
        raw_arguments=raw,
        error=error,
    )


@BACKENDS.register("openai")
class OpenAIBackend(ModelBackend):
    """Chat (with structured ``tool_calls``) and plain completions from an OpenAI-compatible endpoint.

    ``parse_text_calls=True`` additionally parses calls a model wrote as text when the server returned none
    (servers started without a tool parser).

    Example:
        >>> OpenAIBackend("http://127.0.0.1:8000/v1#my-model").model_name  # doctest: +SKIP
        'my-model'
    """

    supports_batching = True
    supports_tools = True

    def __init__(
        self,
        spec: str,
        *,
        concurrency: int = 8,
        max_retries: int = 3,
        timeout: float = 600.0,
        parse_text_calls: bool = False,
        api_key: str | None = None,
    ) -> None:
        try:
            import openai
        except ImportError as error:
            raise MissingDependencyError("openai", "training", "the OpenAI-compatible backend") from error
        url, _, model = spec.partition("#")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"openai backend spec must look like http://HOST:PORT/v1#MODEL, got {spec!r}")
        self.base_url = url.rstrip("/")
        self.concurrency = max(1, concurrency)
        self.parse_text_calls = parse_text_calls
        self._openai = openai
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
            max_retries=max_retries,
            timeout=timeout,
        )
        self.model_name = model or self._first_model()
        self.generated_tokens = 0
        self.generation_seconds = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / self.generation_seconds if self.generation_seconds else 0.0

    def _first_model(self) -> str:
        models = self._request(lambda: self.client.models.list().data)
        if not models:
            raise BackendError(
                f"{self.base_url}: the server lists no models; name one as {self.base_url}#MODEL"
            )
        return models[0].id

    def _request(self, call: Any) -> Any:
        try:
            return call()
        except self._openai.APIStatusError as error:
            raise BackendError(f"{self.base_url}: HTTP {error.status_code}: {_message(error)}") from error
        except self._openai.APIConnectionError as error:
            raise BackendError(
                f"{self.base_url}: cannot reach the server ({error.__class__.__name__}: {error})"
            ) from error
        except self._openai.OpenAIError as error:
            raise BackendError(f"{self.base_url}: {error}") from error

    def _sampling(self, config: GenerationConfig, n: int, offset: int = 0) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
        }
        if n > 1:
            kwargs["n"] = n
        if config.seed is not None:
            kwargs["seed"] = config.seed + offset  # refills must not repeat the first request's samples
        if config.stop:
            kwargs["stop"] = list(config.stop)
        return kwargs

    def _fill(self, request: Any, config: GenerationConfig) -> list[Completion]:
        """Call ``request(n, offset)`` until ``config.n`` completions are collected."""
        completions: list[Completion] = []
        while len(completions) < config.n:
            missing = config.n - len(completions)
            got = request(missing, len(completions))
            if not got:
                raise BackendError(
                    f"{self.base_url}: the server returned no choices for model {self.model_name!r}"
                )
            completions.extend(got[:missing])
        return completions

    def _run(self, jobs: list[Any]) -> list[list[Completion]]:
        started = time.perf_counter()
        if len(jobs) == 1 or self.concurrency == 1:
            results = [job() for job in jobs]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
                results = list(pool.map(lambda job: job(), jobs))
        self.generation_seconds += time.perf_counter() - started
        self.generated_tokens += sum(c.completion_tokens for row in results for c in row)
        return results

    def chat(
        self,
        conversations: list[list[dict[str, Any]]],
        config: GenerationConfig,
        tools: list[dict[str, Any]] | None = None,
    ) -> list[list[Completion]]:
        def request(messages: list[dict[str, Any]], n: int, offset: int) -> list[Completion]:
            kwargs = self._sampling(config, n, offset)
            if tools:
                kwargs["tools"] = tools
            response = self._request(lambda: self.client.chat.completions.create(messages=messages, **kwargs))
            usage = response.usage
            out = []
            for choice in response.choices or []:
                message = choice.message
                text = message.content or ""
                calls = tuple(_decode_tool_call(call, i) for i, call in enumerate(message.tool_calls or []))
                extra: dict[str, Any] = {}
                if not calls and tools and self.parse_text_calls:
                    parsed, rest = parse_text_tool_calls(text)
                    if parsed:
                        calls, extra, text = tuple(parsed), {"raw_text": text}, rest
                out.append(
                    Completion(
                        text=text,
                        tool_calls=calls,
                        finish_reason=choice.finish_reason or "",
                        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                        completion_tokens=_per_choice(usage, len(response.choices)),
                        extra=extra,
                    )
                )
            return out

        return self._run(
            [
                lambda m=messages: self._fill(lambda n, o: request(m, n, o), config)
                for messages in conversations
            ]
        )

    def complete(self, prompts: list[str], config: GenerationConfig) -> list[list[Completion]]:
        def request(prompt: str, n: int, offset: int) -> list[Completion]:
            response = self._request(
                lambda: self.client.completions.create(prompt=prompt, **self._sampling(config, n, offset))
            )
            usage = response.usage
            return [
                Completion(
                    text=choice.text or "",
                    finish_reason=choice.finish_reason or "",
                    prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                    completion_tokens=_per_choice(usage, len(response.choices)),
                )
                for choice in response.choices or []
            ]

        return self._run(
            [lambda p=prompt: self._fill(lambda n, o: request(p, n, o), config) for prompt in prompts]
        )

    def close(self) -> None:
        self.client.close()


def _per_choice(usage: Any, choices: int) -> int:
    """Completion tokens of one choice (the server reports the sum over all choices of a request)."""
    total = getattr(usage, "completion_tokens", 0) or 0
    return round(total / choices) if choices else 0


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(error, "message", error))
