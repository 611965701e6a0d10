"""Search throughput on a 100k-passage corpus: embedded BM25 and dense (encoder + faiss).

    python bench/bench_search.py [--passages 100000] [--queries 512]

The corpus is the shipped one plus synthetic passages drawn (seeded) from its vocabulary, so it
needs no download. Dense retrieval uses a small BERT encoder built locally (WordPiece trained on
the corpus, random weights: speed is what is measured, not quality) and a flat inner-product
faiss index (on the GPU when faiss-gpu sees one). Reported: index build time and queries/s,
one query at a time and in batches of 64 (the retrieval server's batching).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

from gem_gymnasium.tools.retrieval import BM25Retriever, DenseRetriever, Passage, load_corpus
from gem_gymnasium.tools.tiny_encoder import build_tiny_encoder


def build_corpus(size: int, seed: int = 0) -> list[Passage]:
    shipped = load_corpus()
    words = " ".join(p.text for p in shipped).split()
    rng = np.random.default_rng(seed)
    lengths = rng.integers(40, 120, size=size)
    synthetic = [
        Passage(f"syn-{i}", " ".join(rng.choice(words, 3)), " ".join(rng.choice(words, n)))
        for i, n in enumerate(lengths[: max(0, size - len(shipped))])
    ]
    return shipped + synthetic


def queries_per_second(search, queries: list[str], batch: int) -> float:
    start = time.perf_counter()
    if batch == 1:
        for query in queries:
            search([query])
    else:
        for i in range(0, len(queries), batch):
            search(queries[i : i + batch])
    return len(queries) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=512)
    parser.add_argument("--skip-dense", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch/faiss CPU threads (dense)")
    args = parser.parse_args()

    corpus = build_corpus(args.passages)
    import json

    from gem_gymnasium.tools.retrieval import default_corpus_path

    questions = [
        json.loads(line)["question"]
        for line in default_corpus_path().with_name("qa_sample.jsonl").read_text().splitlines()
        if line.strip()
    ]
    queries = [questions[i % len(questions)] for i in range(args.queries)]
    rows = []

    start = time.perf_counter()
    bm25 = BM25Retriever(corpus)
    build = time.perf_counter() - start
    single = statistics.median(queries_per_second(bm25.search_batch, queries, 1) for _ in range(3))
    batched = statistics.median(
        queries_per_second(bm25.search_batch, queries, 64) for _ in range(3)
    )
    rows.append(("BM25 (numpy)", build, single, batched))
    print(
        f"BM25: build {build:.1f} s, {single:.1f} q/s single, {batched:.1f} q/s batched", flush=True
    )

    if not args.skip_dense:
        with tempfile.TemporaryDirectory() as directory:
            import torch

            encoder = build_tiny_encoder(
                (p.contents for p in corpus[:5000]),
                directory,
                vocab_size=8000,
                hidden_size=64,
                max_seq_length=64,
                device="cuda" if torch.cuda.is_available() else "cpu",
            )
            start = time.perf_counter()
            dense = DenseRetriever(corpus, encoder, batch_size=256, threads=args.threads)
            build = time.perf_counter() - start
            single = queries_per_second(dense.search_batch, queries[:128], 1)
            batched = queries_per_second(dense.search_batch, queries, 64)
            where = "GPU" if dense.on_gpu else "CPU"
            rows.append(
                (f"dense (BERT-2x64, faiss {where}, {args.threads} thr)", build, single, batched)
            )

    print(f"{len(corpus)} passages, {len(queries)} queries (top-3)")
    print(f"{'retriever':<34}{'index build (s)':>16}{'q/s single':>12}{'q/s batch 64':>14}")
    for name, build, single, batched in rows:
        print(f"{name:<34}{build:>16.1f}{single:>12.1f}{batched:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
