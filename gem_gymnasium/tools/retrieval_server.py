"""An HTTP retrieval server speaking the Search-R1 / GEM ``/retrieve`` protocol, with batching.

    python -m gem_gymnasium.tools.retrieval_server --port 8000                    # BM25, shipped corpus
    python -m gem_gymnasium.tools.retrieval_server --corpus wiki-18.jsonl \\
        --index e5_Flat.index --encoder intfloat/e5-base-v2 --query-prefix "query: "   # dense

``POST /retrieve`` takes JSON ``{"queries": [...], "topk": k, "return_scores": bool}`` (Search-R1)
and answers ``{"result": [[{"document": {"id", "title", "text", "contents"}, "score"}, ...]]}``;
a single ``{"query": "..."}`` (GEM's request shape) gets ``{"result": [hits]}``. Requests that
arrive within ``max_wait`` seconds of each other are answered by one ``search_batch`` call (up to
``max_batch`` queries), which is what makes a dense encoder on a GPU pay off; a request with more
queries is split into batches of ``max_batch``, so it cannot hold the retriever for long.

Hostile clients cannot take it down: every bad request gets a 4xx JSON ``{"error": ...}``, a
connection that stays silent for ``timeout`` seconds is dropped (with 408 when it can still be
told), at most ``max_connections`` are served at once (the rest get 503 at once), and clients
that hang up are not reported as server errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gem_gymnasium.tools.retrieval import Passage, Retriever

__all__ = ["RetrievalServer", "main"]

_MAX_BODY = 1 << 20
#: Errors of a client that hung up or went silent: its connection ends, the server carries on.
_CLIENT_GONE = (ConnectionError, TimeoutError)


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
        """Answer ``queries``, in pieces of at most ``max_batch`` that other requests can join."""
        step = self.max_batch
        pieces = [_Job(queries[i : i + step], topk) for i in range(0, len(queries), step)]
        for piece in pieces:
            self.jobs.put(piece)
        answer = _Job(queries, topk, result=[])
        for piece in pieces:
            piece.done.wait()
            if piece.error is not None:
                answer.error = piece.error
            elif answer.result is not None:
                answer.result += piece.result or []
        answer.done.set()
        return answer

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
    """A thread per connection, at most ``max_connections`` of them; the rest get 503."""

    daemon_threads = True
    # The listen backlog (socketserver's default is 5): a vector env's burst of simultaneous
    # queries must queue up, not be refused with connection resets.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], handler: type, max_connections: int) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], _CLIENT_GONE):
            return  # the client's doing, not a server fault: no traceback
        super().handle_error(request, client_address)


def _refuse_busy(request: socket.socket) -> None:
    """Answer 503 on the accepting thread (briefly: it must get back to accepting)."""
    body = b'{"error": "the server is busy (too many open connections); retry later"}'
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    )
    try:
        request.settimeout(0.2)
        # Read what has arrived of the request: closing on unread data would reset the
        # connection before the client reads the answer.
        with contextlib.suppress(TimeoutError):
            request.recv(_MAX_BODY)
        request.sendall(head.encode() + body)
    except OSError:
        pass


class _BadRequest(ValueError):
    """A request the server refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Request:
    queries: list[str]
    topk: int
    single: bool  # GEM's {"query": ...}: answered with one list of hits
    scores: bool


def _parse_request(raw: bytes, default_topk: int, max_topk: int) -> _Request:
    """The request in a body, or :class:`_BadRequest` saying what is wrong with it."""
    try:
        request = json.loads(raw)
    except RecursionError:
        raise _BadRequest(400, "the JSON is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise _BadRequest(400, f"the body is not JSON ({exc})") from None
    if not isinstance(request, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    single = "queries" not in request
    if single and "query" not in request:
        raise _BadRequest(400, 'the body needs "queries" (a list of strings) or "query"')
    queries = [request["query"]] if single else request["queries"]
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise _BadRequest(400, "queries must be a list of strings (query a string)")
    topk = request.get("topk")
    if topk is None:
        topk = default_topk
    if isinstance(topk, float) and topk.is_integer():
        topk = int(topk)
    if not isinstance(topk, int) or isinstance(topk, bool) or not 1 <= topk <= max_topk:
        raise _BadRequest(400, f"topk must be an integer from 1 to {max_topk}, got {topk!r:.40}")
    return _Request(queries, topk, single, bool(request.get("return_scores", True)))


class RetrievalServer:
    """Serve a retriever on ``host:port`` (port 0 picks a free one) in a background thread.

    Args:
        retriever: What answers the queries.
        host / port: Where to listen.
        default_topk: ``topk`` when a request has none.
        max_batch / max_wait: Batching limits (queries, seconds); larger requests are split.
        max_topk: The largest ``topk`` a request may ask for.
        timeout: Seconds a connection may stay silent before it is dropped.
        max_connections: Connections served at once; further ones get 503 at once.
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
        max_topk: int = 100,
        timeout: float = 10.0,
        max_connections: int = 256,
    ) -> None:
        if min(max_batch, max_topk, max_connections) < 1 or not timeout > 0:
            raise ValueError("max_batch, max_topk, max_connections and timeout must be positive")
        self.batcher = _Batcher(retriever, max_batch, max_wait)
        self.default_topk = default_topk
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/retrieve":
                    return self._reply(404, {"error": f"unknown path {self.path}"})
                try:
                    length = int(self.headers.get("Content-Length", "0"))
                except ValueError:
                    return self._reply(400, {"error": "Content-Length must be an integer"})
                if not 0 < length <= _MAX_BODY:
                    return self._reply(413, {"error": f"the body must be 1..{_MAX_BODY} bytes"})
                try:
                    raw = self.rfile.read(length)
                except TimeoutError:
                    return self._reply(408, {"error": f"no complete body within {timeout:g} s"})
                if len(raw) < length:
                    return self._reply(400, {"error": "the body is shorter than Content-Length"})
                try:
                    request = _parse_request(raw, outer.default_topk, max_topk)
                except _BadRequest as exc:
                    return self._reply(exc.status, {"error": str(exc)})
                job = outer.batcher.submit(request.queries, request.topk)
                if job.error is not None:
                    return self._reply(500, {"error": job.error})
                result = [[_hit(p, request.scores) for p in row] for row in job.result or []]
                self._reply(200, {"result": result[0] if request.single else result})

            def do_GET(self) -> None:
                self._reply(405, {"error": "use POST /retrieve"}, allow="POST")

            do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

            def send_error(
                self, code: int, message: str | None = None, explain: str | None = None
            ) -> None:
                # http.server's own refusals (bad request line, huge headers) in JSON as well.
                self.close_connection = True
                self._reply(code, {"error": message or self.responses.get(code, ("",))[0]})

            def _reply(self, status: int, body: dict[str, Any], allow: str | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if allow is not None:
                    self.send_header("Allow", allow)
                if status >= 400:  # the rest of a refused request is not read: end the stream
                    self.close_connection = True
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                pass

        # StreamRequestHandler sets this on each socket: a silent client cannot hold a thread.
        Handler.timeout = timeout
        self.httpd = _HTTPServer((host, port), Handler, max_connections)
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
    parser.add_argument("--max-topk", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per silent client")
    parser.add_argument("--max-connections", type=int, default=256)
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
        max_topk=args.max_topk,
        timeout=args.timeout,
        max_connections=args.max_connections,
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
