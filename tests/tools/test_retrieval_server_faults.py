"""The retrieval server answers every bad request with a 4xx JSON error and keeps serving."""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence

import pytest

from gem_gymnasium.tools.retrieval import BM25Retriever, Passage
from gem_gymnasium.tools.retrieval_server import RetrievalServer

pytestmark = pytest.mark.timeout(60)


class CountingRetriever:
    """BM25 that records the size of every batch it is asked for."""

    def __init__(self) -> None:
        self.inner = BM25Retriever.from_jsonl()
        self.batch_sizes: list[int] = []

    def search(self, query: str, topk: int = 3) -> list[Passage]:
        return self.search_batch([query], topk)[0]

    def search_batch(self, queries: Sequence[str], topk: int = 3) -> list[list[Passage]]:
        self.batch_sizes.append(len(queries))
        return self.inner.search_batch(queries, topk)


@pytest.fixture
def server() -> Iterator[RetrievalServer]:
    with RetrievalServer(
        CountingRetriever(), max_batch=16, timeout=0.5, max_connections=4
    ) as running:
        yield running


def post(url: str, body: bytes, method: str = "POST") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def ok(server: RetrievalServer) -> bool:
    status, body = post(server.url, json.dumps({"queries": ["gold"], "topk": 1}).encode())
    return status == 200 and len(body["result"]) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"queries": ["gold"], "topk": 1e400}', "topk must be an integer"),
        (b'{"queries": ["gold"], "topk": 1000000000}', "topk must be an integer"),
        (b'{"queries": ["gold"], "topk": "3"}', "topk must be an integer"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b"[1, 2]", "JSON object"),
        (b'{"nothing": 1}', '"queries"'),
        (b"\xff\xfe not utf-8", "not JSON"),
    ],
)
def test_bad_requests_get_a_4xx_json_error(server, body, message) -> None:
    status, answer = post(server.url, body)
    assert 400 <= status < 500 and message in answer["error"]
    assert ok(server)


def test_wrong_method_is_a_json_405(server) -> None:
    status, answer = post(server.url, b"", method="GET")
    assert status == 405 and "POST" in answer["error"]


def test_a_large_request_is_split_into_batches(server) -> None:
    queries = [f"gold {i}" if i % 2 else f"Mars {i}" for i in range(100)]
    status, body = post(server.url, json.dumps({"queries": queries, "topk": 2}).encode())
    assert status == 200 and len(body["result"]) == 100
    retriever = server.batcher.retriever
    assert max(retriever.batch_sizes) <= 16 and sum(retriever.batch_sizes) == 100
    expected = retriever.inner.search_batch(queries, 2)
    assert [[hit["document"]["id"] for hit in row] for row in body["result"]] == [
        [p.id for p in row] for row in expected
    ]


def test_silent_clients_time_out_and_extra_connections_get_503(server) -> None:
    stalled = [socket.create_connection((server.host, server.port)) for _ in range(4)]
    try:
        # A partial body: the server stops waiting after its timeout and says so.
        stalled[0].sendall(b'POST /retrieve HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"q')
        time.sleep(0.2)  # let the server accept all four
        status, answer = post(server.url, b'{"queries": ["gold"]}')
        assert status == 503 and "busy" in answer["error"]
        stalled[0].settimeout(10)
        assert stalled[0].recv(100).startswith(b"HTTP/1.0 408")
        deadline = time.monotonic() + 20
        while not ok_or_busy(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ok(server)
        for connection in stalled[1:]:  # each was dropped after its timeout
            connection.settimeout(10)
            assert connection.recv(100) == b""
    finally:
        for connection in stalled:
            connection.close()


def ok_or_busy(server: RetrievalServer) -> bool:
    status, _ = post(server.url, json.dumps({"queries": ["gold"]}).encode())
    return status == 200


def test_a_client_hanging_up_is_not_a_server_error(server, capsys) -> None:
    try:
        raise ConnectionResetError("peer reset")
    except ConnectionResetError:
        server.httpd.handle_error(None, ("127.0.0.1", 1))
    try:
        raise TimeoutError("timed out")
    except TimeoutError:
        server.httpd.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""
    assert sys.exc_info() == (None, None, None)
