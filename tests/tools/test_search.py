"""Retrievers (BM25, a real locally built dense encoder, HTTP) and the search tool."""

from __future__ import annotations

import itertools
import json
import threading

import pytest

from gem_gymnasium.tools.base import ToolCall
from gem_gymnasium.tools.retrieval import (
    BM25Retriever,
    DenseRetriever,
    HTTPRetriever,
    Passage,
    Retriever,
    default_corpus_path,
    load_corpus,
)
from gem_gymnasium.tools.retrieval_server import RetrievalServer
from gem_gymnasium.tools.search import SearchTool

pytestmark = pytest.mark.timeout(60)

QA_SAMPLE = default_corpus_path().with_name("qa_sample.jsonl")


@pytest.fixture(scope="module")
def bm25() -> BM25Retriever:
    return BM25Retriever.from_jsonl()


def test_shipped_corpus_answers_the_shipped_qa_sample(bm25):
    questions = [json.loads(line) for line in QA_SAMPLE.read_text().splitlines() if line.strip()]
    assert questions
    for question in questions:
        hits = bm25.search(question["question"], topk=3)
        assert question["passage_id"] in [hit.id for hit in hits], question["question"]
        text = " ".join(hit.text for hit in hits).lower()
        assert any(answer.lower() in text for answer in question["answer"])


def test_bm25_ranking_and_edge_cases(bm25):
    assert isinstance(bm25, Retriever)
    hits = bm25.search("chemical symbol gold", topk=5)
    assert hits[0].title and all(a.score >= b.score for a, b in itertools.pairwise(hits))
    assert bm25.search("", topk=3) == []
    assert bm25.search("zzzzqqq unknownword", topk=3) == []
    assert bm25.search("gold", topk=0) == []
    assert len(bm25.search_batch(["gold", "Mars"], topk=2)) == 2
    with pytest.raises(ValueError):
        BM25Retriever([])


def test_corpus_formats(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({"id": "1", "contents": '"Paris"\nParis is the capital of France.'}) + "\n"
    )
    [passage] = load_corpus(path)
    assert passage == Passage("1", "Paris", "Paris is the capital of France.")
    assert passage.contents == "Paris\nParis is the capital of France."


def test_search_tool_parses_first_call_and_formats(bm25):
    tool = SearchTool(retriever=bm25, topk=2)
    call = tool.find_call("x <search> red planet </search> <search>other</search>")
    assert call == ToolCall("search", "red planet", len("x <search> red planet </search>"))
    result = tool.execute(call)
    assert result.ok and result.observation.startswith("\n\n<information>Doc 1(Title: ")
    assert "Doc 2(Title:" in result.observation and "Doc 3" not in result.observation
    assert tool.find_call("<search>unclosed") is None
    assert not tool.execute(ToolCall("search", "", 0)).ok
    with pytest.raises(ValueError):
        SearchTool(retriever=bm25, search_url="http://127.0.0.1:1/retrieve")


# --- dense retrieval with a real (tiny, locally built) encoder ---------------------------------


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    """The package's tiny local encoder (random two-layer BERT, WordPiece trained on the shipped
    corpus): a real sentence-transformers model with no download."""
    pytest.importorskip("torch")
    pytest.importorskip("faiss")
    pytest.importorskip("sentence_transformers")
    from gem_gymnasium.tools.tiny_encoder import build_tiny_encoder

    texts = [p.contents for p in load_corpus()]
    return build_tiny_encoder(texts, tmp_path_factory.mktemp("encoder"))


def test_dense_retriever_finds_each_passage_by_its_text(tiny_encoder, tmp_path):
    passages = load_corpus()[:120]
    dense = DenseRetriever(passages, tiny_encoder, batch_size=64)
    assert isinstance(dense, Retriever)
    results = dense.search_batch([p.contents for p in passages[:40]], topk=3)
    assert [hits[0].id for hits in results] == [p.id for p in passages[:40]]
    assert results[0][0].score == pytest.approx(1.0, abs=1e-4)
    # A saved index loads back (how existing deployments' indexes plug in).
    dense.save_index(tmp_path / "flat.index")
    again = DenseRetriever(passages, tiny_encoder, index=tmp_path / "flat.index")
    assert again.search(passages[7].contents, 1)[0].id == passages[7].id
    with pytest.raises(ValueError, match="vectors"):
        DenseRetriever(passages[:10], tiny_encoder, index=tmp_path / "flat.index")


# --- the HTTP server and client ----------------------------------------------------------------


def test_http_server_round_trip_and_batching(bm25):
    # A generous batching window and a barrier, so that requests share batches even on a
    # loaded machine (the window only delays the lone requests below).
    with RetrievalServer(bm25, max_wait=0.3) as server:
        client = HTTPRetriever(server.url)
        assert client.search("capital of Australia", 2) == bm25.search("capital of Australia", 2)
        results: dict[int, list[Passage]] = {}
        queries = ["gold", "Mars", "telephone patent", "Pride and Prejudice"] * 4
        start = threading.Barrier(len(queries))

        def search(i: int, query: str) -> None:
            start.wait()
            results[i] = client.search(query, 3)

        threads = [threading.Thread(target=search, args=(i, q)) for i, q in enumerate(queries)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(results[i] == bm25.search(q, 3) for i, q in enumerate(queries))
        assert server.batcher.batches < len(queries) + 1  # some requests shared a batch
        # GEM's single-query shape and bad requests.
        import urllib.error
        import urllib.request

        def post(body: bytes) -> tuple[int, dict]:
            request = urllib.request.Request(server.url, data=body)
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        status, body = post(json.dumps({"query": "gold", "topk": 1}).encode())
        assert status == 200 and body["result"][0]["document"]["contents"].startswith(
            body["result"][0]["document"]["title"]
        )
        assert post(b"not json")[0] == 400
        assert post(json.dumps({"queries": [1, 2]}).encode())[0] == 400
        tool = SearchTool(search_url=server.url)
        assert (
            "Canberra"
            in tool.execute(tool.find_call("<search>capital Australia</search>")).observation
        )


def test_search_tool_reports_a_dead_server():
    tool = SearchTool(search_url="http://127.0.0.1:9/retrieve", timeout=1)
    result = tool.execute(ToolCall("search", "anything", 0))
    assert not result.ok and "Search error" in result.observation
