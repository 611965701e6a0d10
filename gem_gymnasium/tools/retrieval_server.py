"""An HTTP retrieval server speaking the Search-R1 / GEM ``/retrieve`` protocol, with batching.

    python -m gem_gymnasium.tools.retrieval_server --port 8000                    # BM25, shipped corpus
    python -m gem_gymnasium.tools.retrieval_server --corpus wiki-18.jsonl \\
        --index e5_Flat.index --encoder intfloat/e5-base-v2 --query-prefix "query: "   # dense

``POST /retrieve`` takes JSON ``{"queries": [...], "topk": k, "return_scores": bool}`` (Search-R1)
and answers ``{"result": [[{"document": {"id", "title", "text", "contents"}, "score"}, ...]]}``;
a single ``{"query": "..."}`` (GEM's request shape) gets ``{"result": [hits]}``. Requests that
arrive within ``max_wait`` seconds of each other are answered by one ``search_batch`` call (up to
``max_batch`` queries), which is what makes a dense encoder on a GPU pay off.
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gem_gymnasium.tools.retrieval import Passage, Retriever

__all__ = ["RetrievalServer", "main"]

_MAX_BODY = 1 << 20


@dataclass
class _Job:
    queries: list[str]
    topk: int
    done: threading.Event = field(default_factory=threading.Event)
    result: list[list[Passage]] | None = None
    error: str | None = None


class _Batcher:
    """Collects concurrent requests and answers them with one ``search_batch``."""

    def __init__(self, retriever: Retriever, max_batch: int, max_wait: float) -> None:
        self.retriever, self.max_batch, self.max_wait = retriever, max_batch, max_wait
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        self.batches = 0
        self.thread = threading.Thread(target=self._loop, daemon=True, name="retrieval-batcher")
        self.thread.start()

    def submit(self, queries: list[str], topk: int) -> _Job:
        job = _Job(queries, topk)
        self.jobs.put(job)
        job.done.wait()
        return job

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            first = self.jobs.get()
            if first is None:
                return
            batch = [first]
            size = len(first.queries)
            while size < self.max_batch:
                try:
                    job = self.jobs.get(timeout=self.max_wait)
                except queue.Empty:
                    break
                if job is None:
                    self.jobs.put(None)
                    break
                batch.append(job)
                size += len(job.queries)
            self._answer(batch)

    def _answer(self, batch: list[_Job]) -> None:
        queries = [q for job in batch for q in job.queries]
        try:
            hits = self.retriever.search_batch(queries, max(job.topk for job in batch))
            self.batches += 1
        except Exception as exc:
            for job in batch:
                job.error = f"{type(exc).__name__}: {exc}"
                job.done.set()
            return
        start = 0
        for job in batch:
            job.result = [row[: job.topk] for row in hits[start : start + len(job.queries)]]
            start += len(job.queries)
            job.done.set()


def _hit(passage: Passage, with_score: bool) -> dict[str, Any]:
    document = {
        "id": passage.id,
        "title": passage.title,
        "text": passage.text,
        "contents": passage.contents,
    }
    return {"document": document, "score": passage.score if with_score else None}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog (socketserver's default is 5): a vector env's burst of simultaneous
    # queries must queue up, not be refused with connection resets.
    request_queue_size = 1024


class RetrievalServer:
    """Serve a retriever on ``host:port`` (port 0 picks a free one) in a background thread.

    Args:
        retriever: What answers the queries.
        host / port: Where to listen.
        default_topk: ``topk`` when a request has none.
        max_batch / max_wait: Batching limits (queries, seconds).
    """

    def __init__(
        self,
        retriever: Retriever,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default_topk: int = 3,
        max_batch: int = 64,
        max_wait: float = 0.005,
    ) -> None:
        self.batcher = _Batcher(retriever, max_batch, max_wait)
        self.default_topk = default_topk
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/retrieve":
                    return self._reply(404, {"error": f"unknown path {self.path}"})
                try:
                    length = int(self.headers.get("Content-Length", "0"))
                    if not 0 < length <= _MAX_BODY:
                        raise ValueError(f"body must be 1..{_MAX_BODY} bytes")
                    request = json.loads(self.rfile.read(length))
                    single = "queries" not in request
                    queries = [request["query"]] if single else request["queries"]
                    if not isinstance(queries, list) or not all(
                        isinstance(q, str) for q in queries
                    ):
                        raise ValueError("queries must be a list of strings")
                    topk = int(request.get("topk") or outer.default_topk)
                    if topk < 1:
                        raise ValueError("topk must be >= 1")
                except (ValueError, KeyError, TypeError) as exc:
                    return self._reply(400, {"error": str(exc)})
                job = outer.batcher.submit(queries, topk)
                if job.error is not None:
                    return self._reply(500, {"error": job.error})
                scores = bool(request.get("return_scores", True))
                result = [[_hit(p, scores) for p in row] for row in job.result or []]
                self._reply(200, {"result": result[0] if single else result})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                pass

        self.httpd = _HTTPServer((host, port), Handler)
        self.host, self.port = self.httpd.server_address[:2]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/retrieve"

    def start(self) -> RetrievalServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.batcher.stop()

    def __enter__(self) -> RetrievalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="JSON-lines corpus (default: the shipped one)")
    parser.add_argument("--encoder", help="sentence-transformers model: dense retrieval")
    parser.add_argument("--index", help="saved faiss index matching the corpus (dense only)")
    parser.add_argument("--query-prefix", default="", help='e.g. "query: " for e5')
    parser.add_argument("--passage-prefix", default="", help='e.g. "passage: " for e5')
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--topk", type=int, default=3)
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait", type=float, default=0.005, help="seconds")
    args = parser.parse_args(argv)

    from gem_gymnasium.tools.retrieval import BM25Retriever, DenseRetriever, load_corpus

    passages = load_corpus(args.corpus)
    retriever: Retriever
    if args.encoder:
        retriever = DenseRetriever(
            passages,
            args.encoder,
            index=args.index,
            query_prefix=args.query_prefix,
            passage_prefix=args.passage_prefix,
        )
    else:
        retriever = BM25Retriever(passages)
    server = RetrievalServer(
        retriever,
        host=args.host,
        port=args.port,
        default_topk=args.topk,
        max_batch=args.max_batch,
        max_wait=args.max_wait,
    )
    print(f"serving {len(passages)} passages on {server.url}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        server.batcher.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
