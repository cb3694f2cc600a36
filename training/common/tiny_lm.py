"""Tiny decoder-only LMs trained from scratch on CPU: a byte-level BPE tokenizer trained on the corpus
(``tokenizers``), Llama configs from ~0.5M to ~10M parameters (``transformers``), packed token blocks in a seeded
order, and batched sampling for retention tests.

Example:
    >>> tokenizer = train_tokenizer(["a cat sat on a mat"] * 20, vocab_size=300)
    >>> model = build_model("nano", tokenizer.vocab_size, seed=0)
    >>> parameter_count(model) > 0
    True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.registry import Registry
from knowbench.training.common.loop import EpochBatches

EOS = "<|endoftext|>"
PAD = "<|pad|>"


@dataclass(frozen=True)
class ModelSize:
    """Shape of one tiny Llama (tied input/output embeddings)."""

    hidden: int
    layers: int
    heads: int

    def config(self, vocab_size: int, max_positions: int) -> Any:
        from transformers import LlamaConfig

        return LlamaConfig(
            vocab_size=vocab_size,
            hidden_size=self.hidden,
            intermediate_size=4 * self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            num_key_value_heads=self.heads,
            max_position_embeddings=max_positions,
            tie_word_embeddings=True,
            bos_token_id=None,
            eos_token_id=None,
            pad_token_id=None,
        )


#: Named sizes; parameter counts with the default 4,096-token vocabulary are in the comments.
MODEL_SIZES: Registry[ModelSize] = Registry("model size")
MODEL_SIZES.add("nano", ModelSize(hidden=32, layers=1, heads=2))  # ~0.15M (tests)
MODEL_SIZES.add("0.5m", ModelSize(hidden=64, layers=4, heads=2))  # ~0.52M
MODEL_SIZES.add("1.5m", ModelSize(hidden=128, layers=4, heads=2))  # ~1.6M
MODEL_SIZES.add("5m", ModelSize(hidden=256, layers=4, heads=4))  # ~5.2M
MODEL_SIZES.add("10m", ModelSize(hidden=320, layers=5, heads=5))  # ~9.5M


def train_tokenizer(documents: Sequence[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on ``documents`` (a ``PreTrainedTokenizerFast`` with EOS and PAD)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 260:
        raise ConfigError(f"vocab_size must be >= 260 (256 bytes + specials), got vocab_size={vocab_size}")
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(documents, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, pad_token=PAD)


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(path))


def build_model(size: str, vocab_size: int, seed: int, max_positions: int = 256) -> Any:
    """A freshly initialised Llama of the named size (weights depend only on ``seed``)."""
    import torch
    from transformers import LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(MODEL_SIZES.get(size).config(vocab_size, max_positions))


def parameter_count(model: Any) -> int:
    """Distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def pack_blocks(documents: Sequence[str], tokenizer: Any, block: int) -> np.ndarray:
    """Concatenate the tokenised documents (each followed by EOS) and cut into ``block``-token rows."""
    ids: list[int] = []
    eos = tokenizer.convert_tokens_to_ids(EOS)
    for encoded in tokenizer(list(documents), add_special_tokens=False)["input_ids"]:
        ids.extend(encoded)
        ids.append(eos)
    usable = len(ids) // block * block
    if usable == 0:
        raise ConfigError(f"corpus has {len(ids)} tokens, fewer than one block of {block}")
    return np.asarray(ids[:usable], dtype=np.int64).reshape(-1, block)


class BlockBatches(EpochBatches):
    """``batch(step)`` -> the step's rows of ``blocks`` as one tensor, in a per-epoch order drawn from ``seed``.

    Example:
        >>> batches = BlockBatches(np.arange(20).reshape(10, 2), batch_size=4, seed=0)
        >>> batches.steps_per_epoch, batches(0)[0].shape
        (3, torch.Size([4, 2]))
    """

    def __init__(self, blocks: np.ndarray, batch_size: int, seed: int) -> None:
        self.blocks = blocks
        super().__init__(len(blocks), batch_size, seed, self._rows)

    def _rows(self, rows: np.ndarray) -> list[Any]:
        import torch

        return [torch.from_numpy(self.blocks[rows])]


def lm_loss(model: Any, ids: Any) -> Any:
    return model(input_ids=ids, labels=ids).loss


def sample_continuations(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    samples: int,
    temperature: float,
    max_new_tokens: int,
    seed: int,
    batch_size: int = 64,
) -> list[list[str]]:
    """``samples`` continuations per prompt (greedy when ``temperature == 0``), decoded without the prompt.

    Each batch reseeds from ``seed`` and its index, so the same call gives the same texts, resumed or not.
    """
    import torch

    if temperature == 0 and samples != 1:
        raise ConfigError(f"greedy decoding gives identical samples: samples={samples} needs a temperature > 0")
    tokenizer.padding_side = "left"
    eos = tokenizer.convert_tokens_to_ids(EOS)
    pad = tokenizer.convert_tokens_to_ids(PAD)
    out: list[list[str]] = []
    model.eval()
    for start in range(0, len(prompts), batch_size):
        chunk = [EOS + prompt for prompt in prompts[start : start + batch_size]]
        encoded = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False)
        torch.manual_seed(seed * 1_000_003 + start)
        with torch.no_grad():
            generated = model.generate(
                **encoded,
                do_sample=temperature > 0,
                temperature=temperature if temperature > 0 else None,
                top_p=None,
                top_k=None,
                num_return_sequences=samples,
                max_new_tokens=max_new_tokens,
                eos_token_id=eos,
                pad_token_id=pad,
            )
        texts = tokenizer.batch_decode(generated[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True)
        out.extend(texts[i : i + samples] for i in range(0, len(texts), samples))
    return out


def save_model(model: Any, tokenizer: Any, folder: str | os.PathLike[str]) -> Path:
    """Save model and tokenizer with ``save_pretrained`` into ``folder`` atomically."""
    from knowbench.io import atomic_dir

    with atomic_dir(folder) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return Path(folder)
