"""A tiny local sentence encoder for :class:`~gem_gymnasium.tools.retrieval.DenseRetriever`:
no download, built in seconds.

A WordPiece tokenizer trained with ``tokenizers`` on the given texts and a randomly initialised
two-layer ``transformers`` BERT, mean-pooled by ``sentence-transformers``. Its embeddings carry
no learned meaning, but a passage's own text still finds that passage, so it exercises the whole
dense pipeline (encoding, faiss index, batching) in tests and measures its speed in benchmarks.
Needs the ``search`` extra (torch, transformers, sentence-transformers).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gem_gymnasium.extras import optional_imports

__all__ = ["build_tiny_encoder"]

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_encoder(
    texts: Iterable[str],
    directory: str | Path,
    *,
    vocab_size: int = 2000,
    hidden_size: int = 32,
    max_seq_length: int = 128,
    device: str = "cpu",
    seed: int = 0,
) -> Any:
    """A ``SentenceTransformer`` whose tokenizer and weights are saved in ``directory``.

    Args:
        texts: Text to train the WordPiece vocabulary on (e.g. the corpus's passages).
        directory: Where the tokenizer and model are saved (the encoder loads them from there).
        vocab_size: Upper bound on the WordPiece vocabulary.
        hidden_size: BERT width; the feed-forward layer is twice as wide.
        max_seq_length: Tokens kept per text when encoding.
        device: Torch device of the encoder.
        seed: Seed of the random weights.
    """
    with optional_imports("building a local sentence encoder", "search"):
        import torch
        from sentence_transformers import SentenceTransformer
        from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
        from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    try:  # sentence-transformers >= 5.2 moved the modules
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Pooling, Transformer

    directory = Path(directory)
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS)
    )
    PreTrainedTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    ).save_pretrained(directory)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=2 * max_seq_length,
    )
    BertModel(config).save_pretrained(directory)
    transformer = Transformer(str(directory), max_seq_length=max_seq_length)
    # Renamed in sentence-transformers 5.2.
    dimension = getattr(transformer, "get_embedding_dimension", None) or (
        transformer.get_word_embedding_dimension
    )
    return SentenceTransformer(modules=[transformer, Pooling(dimension(), "mean")], device=device)
