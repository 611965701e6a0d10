"""Retrievers behind one interface: embedded BM25, dense (sentence-transformers + faiss), HTTP.

>>> retriever = BM25Retriever.from_jsonl()          # the shipped corpus, no server, no download
>>> retriever.search("capital of Australia", topk=1)[0].title
'Canberra'

Every retriever has ``search(query, topk)`` and ``search_batch(queries, topk)`` returning
:class:`Passage` lists, best first. Corpora are JSON lines with ``{"id", "title", "text"}`` or, as
in Search-R1/FlashRAG corpora such as wiki-18, ``{"id", "contents"}`` whose first line is the title.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from gem_gymnasium.extras import optional_imports, require

__all__ = [
    "BM25Retriever",
    "DenseRetriever",
    "HTTPRetriever",
    "Passage",
    "Retriever",
    "default_corpus_path",
    "load_corpus",
]


@dataclass(frozen=True)
class Passage:
    """One retrieved passage and its score (higher is better)."""

    id: str
    title: str
    text: str
    score: float = 0.0

    @property
    def contents(self) -> str:
        """Search-R1's ``contents``: the title, a newline, the text."""
        return f"{self.title}\n{self.text}"

    @classmethod
    def from_record(cls, record: dict[str, Any], score: float = 0.0) -> Passage:
        """From ``{"id", "title", "text"}`` or ``{"id", "contents"}``."""
        if "text" in record:
            title, text = str(record.get("title", "")), str(record["text"])
        else:
            title, _, text = str(record.get("contents", "")).partition("\n")
            title = title.strip().strip('"')
        return cls(str(record.get("id", "")), title, text, float(score))


@runtime_checkable
class Retriever(Protocol):
    """What the search tool and the retrieval server need from a retriever."""

    def search(self, query: str, topk: int = 3) -> list[Passage]: ...

    def search_batch(self, queries: Sequence[str], topk: int = 3) -> list[list[Passage]]: ...


def default_corpus_path() -> Path:
    """The shipped corpus (it answers every question of the shipped QA sample)."""
    return Path(str(resources.files("gem_gymnasium") / "data" / "search_corpus.jsonl"))


def load_corpus(path: str | Path | None = None) -> list[Passage]:
    """Read a JSON-lines corpus (default: the shipped one)."""
    path = default_corpus_path() if path is None else Path(path)
    with open(path, encoding="utf-8") as handle:
        return [Passage.from_record(json.loads(line)) for line in handle if line.strip()]


# --- BM25 -----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Function words carry no evidence for a passage; dropping them keeps postings short.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


class BM25Retriever:
    """Okapi BM25 over an in-memory corpus (numpy postings; no server, no download).

    Args:
        passages: The corpus.
        k1: Term-frequency saturation.
        b: Length normalisation.
    """

    def __init__(self, passages: Sequence[Passage], *, k1: float = 1.5, b: float = 0.75) -> None:
        if not passages:
            raise ValueError("BM25Retriever needs a non-empty corpus")
        self.passages = list(passages)
        vocabulary: dict[str, int] = {}
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        lengths = np.empty(len(self.passages), dtype=np.float64)
        for doc, passage in enumerate(self.passages):
            tokens = tokenize(f"{passage.title} {passage.text}")
            lengths[doc] = len(tokens)
            ids = np.fromiter(
                (vocabulary.setdefault(t, len(vocabulary)) for t in tokens), dtype=np.int64
            )
            rows.append(ids)
            cols.append(np.full(len(ids), doc, dtype=np.int64))
        terms, docs = np.concatenate(rows), np.concatenate(cols)
        # Term frequencies per (term, doc): sort by term then doc and count runs.
        order = np.lexsort((docs, terms))
        terms, docs = terms[order], docs[order]
        pair = terms * len(self.passages) + docs
        starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        tf = np.diff(np.r_[starts, len(pair)]).astype(np.float64)
        terms, docs = terms[starts], docs[starts]
        df = np.bincount(terms, minlength=len(vocabulary)).astype(np.float64)
        idf = np.log1p((len(self.passages) - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1.0))
        self._weights = idf[terms] * tf * (k1 + 1) / (tf + norm[docs])
        self._docs = docs
        self._offsets = np.r_[0, np.cumsum(df)].astype(np.int64)
        self._vocabulary = vocabulary

    @classmethod
    def from_jsonl(cls, path: str | Path | None = None, **kwargs: Any) -> BM25Retriever:
        """Index a JSON-lines corpus (default: the shipped one)."""
        return cls(load_corpus(path), **kwargs)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query``."""
        scores = np.zeros(len(self.passages))
        for term in set(tokenize(query)):
            index = self._vocabulary.get(term)
            if index is not None:
                lo, hi = self._offsets[index], self._offsets[index + 1]
                scores[self._docs[lo:hi]] += self._weights[lo:hi]
        return scores

    def search(self, query: str, topk: int = 3) -> list[Passage]:
        scores = self.scores(query)
        return _top(self.passages, scores, topk, keep=scores > 0)

    def search_batch(self, queries: Sequence[str], topk: int = 3) -> list[list[Passage]]:
        return [self.search(query, topk) for query in queries]


def _top(
    passages: Sequence[Passage], scores: np.ndarray, topk: int, keep: np.ndarray | None = None
) -> list[Passage]:
    topk = min(max(int(topk), 0), len(scores))
    if topk == 0:
        return []
    best = np.argpartition(-scores, topk - 1)[:topk]
    best = best[np.argsort(-scores[best], kind="stable")]
    if keep is not None:
        best = best[keep[best]]
    return [_scored(passages[i], float(scores[i])) for i in best]


def _scored(passage: Passage, score: float) -> Passage:
    return Passage(passage.id, passage.title, passage.text, score)


# --- dense ----------------------------------------------------------------------------------------


class DenseRetriever:
    """Inner-product search over normalised sentence-transformers embeddings with faiss.

    Args:
        passages: The corpus (same order as the index rows when ``index`` is given).
        encoder: A ``SentenceTransformer`` or a name/path to load one (e.g. ``"intfloat/e5-base-v2"``).
        index: A faiss index or a path to a saved one (e.g. Search-R1's ``e5_Flat.index``); built
            from the passages when ``None``.
        query_prefix / passage_prefix: Text put before queries / passages (``"query: "`` and
            ``"passage: "`` for e5 models).
        batch_size: Encoding batch size.
        use_gpu: Move the index to the GPU (needs faiss-gpu and CUDA); ``None``: when available.
        device: Encoder device (sentence-transformers picks one when ``None``).
        threads: CPU threads for torch and faiss. Both run OpenMP pools; on a small machine the
            two pools fight (a single query took 250 ms instead of 10 ms on 2 cores), so set 1-2
            there. ``None`` leaves the libraries' defaults.
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        encoder: Any,
        *,
        index: Any = None,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 128,
        use_gpu: bool | None = None,
        device: str | None = None,
        threads: int | None = None,
    ) -> None:
        faiss = require("faiss", "DenseRetriever", "search")
        if threads is not None:
            torch = require("torch", "DenseRetriever(threads=...)", "search")

            torch.set_num_threads(threads)
            faiss.omp_set_num_threads(threads)

        if not passages:
            raise ValueError("DenseRetriever needs a non-empty corpus")
        if isinstance(encoder, (str, Path)):
            with optional_imports("DenseRetriever with an encoder name", "search"):
                from sentence_transformers import SentenceTransformer

            encoder = SentenceTransformer(str(encoder), device=device)
        self.passages = list(passages)
        self.encoder = encoder
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.batch_size = batch_size
        if isinstance(index, (str, Path)):
            index = faiss.read_index(str(index))
        if index is None:
            vectors = self._encode([passage_prefix + p.contents for p in self.passages])
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(vectors)
        if index.ntotal != len(self.passages):
            raise ValueError(
                f"the index has {index.ntotal} vectors but the corpus {len(self.passages)} passages"
            )
        gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
        if use_gpu and gpus == 0:
            raise RuntimeError("use_gpu=True but faiss has no GPU support or sees no GPU")
        if gpus and use_gpu is not False:
            index = faiss.index_cpu_to_all_gpus(index)
        self.index = index
        self.on_gpu = bool(gpus and use_gpu is not False)

    @classmethod
    def from_jsonl(cls, path: str | Path | None, encoder: Any, **kwargs: Any) -> DenseRetriever:
        """Load a JSON-lines corpus (default: the shipped one) and index it."""
        return cls(load_corpus(path), encoder, **kwargs)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.encoder.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def save_index(self, path: str | Path) -> None:
        """Write the (CPU copy of the) index, to load later with ``index=path``."""
        faiss = require("faiss", "DenseRetriever.save_index", "search")
        index = faiss.index_gpu_to_cpu(self.index) if self.on_gpu else self.index
        faiss.write_index(index, str(path))

    def search(self, query: str, topk: int = 3) -> list[Passage]:
        return self.search_batch([query], topk)[0]

    def search_batch(self, queries: Sequence[str], topk: int = 3) -> list[list[Passage]]:
        if not queries:
            return []
        topk = min(max(int(topk), 1), len(self.passages))
        scores, ids = self.index.search(
            self._encode([self.query_prefix + q for q in queries]), topk
        )
        return [
            [
                _scored(self.passages[i], float(s))
                for s, i in zip(row_s, row_i, strict=True)
                if i >= 0
            ]
            for row_s, row_i in zip(scores, ids, strict=True)
        ]


# --- HTTP -----------------------------------------------------------------------------------------


class HTTPRetriever:
    """A client of a retrieval server speaking the Search-R1 ``/retrieve`` protocol.

    Request ``{"queries": [...], "topk": k, "return_scores": true}``; answer
    ``{"result": [[{"document": {"id", "contents"}, "score"}, ...], ...]}``. Works with
    :mod:`gem_gymnasium.tools.retrieval_server` and with Search-R1's own server.

    Args:
        url: The endpoint, e.g. ``"http://127.0.0.1:8000/retrieve"``.
        timeout: Seconds per request.
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        self.url = url
        self.timeout = timeout

    def search(self, query: str, topk: int = 3) -> list[Passage]:
        return self.search_batch([query], topk)[0]

    def search_batch(self, queries: Sequence[str], topk: int = 3) -> list[list[Passage]]:
        body = json.dumps({"queries": list(queries), "topk": topk, "return_scores": True})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            result = json.loads(response.read())["result"]
        return [_parse_hits(hits) for hits in result]


def _parse_hits(hits: Iterable[dict[str, Any]]) -> list[Passage]:
    return [Passage.from_record(hit["document"], hit.get("score") or 0.0) for hit in hits]
