"""Fixtures shared by the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random 8-layer Llama with the real SmolLM2 tokenizer (the converted folder of the harness backend)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from knowbench.training.common.models import model_folder

    try:
        folder = model_folder("smollm2")
    except Exception as error:  # the GGUF package is missing
        pytest.skip(f"SmolLM2 not available: {error}")
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                      num_hidden_layers=8, num_attention_heads=2, num_key_value_heads=2,
                                      max_position_embeddings=2048, tie_word_embeddings=True)
    out = tmp_path_factory.mktemp("tiny") / "model"
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
