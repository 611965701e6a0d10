"""``SearchTool``: ``<search>query</search>`` returns the top passages of a retriever.

By default the retriever is BM25 over the shipped corpus (no server, no download), which answers
the shipped QA sample, so search-augmented QA runs offline. Pass ``retriever=`` (any
:class:`~gem_gymnasium.tools.retrieval.Retriever`, e.g. a ``DenseRetriever``) or ``search_url=`` (a
Search-R1 ``/retrieve`` server, e.g. :mod:`gem_gymnasium.tools.retrieval_server` or an e5 index
over wiki-18) to use another one.
"""

from __future__ import annotations

import functools
from typing import Any

from gem_gymnasium.tools.base import Tool, ToolCall, ToolResult, first_tagged

__all__ = ["SearchTool", "format_passages"]


@functools.lru_cache(maxsize=1)
def _default_retriever() -> Any:
    from gem_gymnasium.tools.retrieval import BM25Retriever

    return BM25Retriever.from_jsonl()


def format_passages(passages: list[Any]) -> str:
    """Search-R1's layout: ``Doc 1(Title: ...) text`` per line."""
    return "".join(
        f"Doc {rank}(Title: {passage.title}) {passage.text}\n"
        for rank, passage in enumerate(passages, 1)
    )


class SearchTool(Tool):
    """Run the first ``<search>...</search>`` query of an action against a retriever.

    Args:
        retriever: A retriever; default BM25 over the shipped corpus.
        search_url: A Search-R1 ``/retrieve`` endpoint to use instead of ``retriever``.
        topk: Passages per query.
        timeout: Seconds per request to ``search_url``.
    """

    name = "search"

    def __init__(
        self,
        *,
        retriever: Any = None,
        search_url: str | None = None,
        topk: int = 3,
        timeout: float = 5.0,
    ) -> None:
        if retriever is not None and search_url is not None:
            raise ValueError("pass retriever= or search_url=, not both")
        if search_url is not None:
            from gem_gymnasium.tools.retrieval import HTTPRetriever

            retriever = HTTPRetriever(search_url, timeout=timeout)
        if not isinstance(topk, int) or topk < 1:
            raise ValueError(f"topk must be an int >= 1, got {topk!r}")
        self._retriever = retriever
        self.topk = topk

    @property
    def retriever(self) -> Any:
        return self._retriever if self._retriever is not None else _default_retriever()

    def instructions(self) -> str:
        return (
            "You can use a search engine. To search, write <search> your query </search>; "
            "the results come back inside <information> ... </information>. You may search "
            "several times. When you are ready, give your final answer inside "
            "<answer> and </answer>."
        )

    def find_call(self, action: str) -> ToolCall | None:
        hit = first_tagged(action, "search")
        if hit is None:
            return None
        return ToolCall(self.name, hit[0].strip(), hit[1])

    def execute(self, call: ToolCall) -> ToolResult:
        if not call.payload:
            return ToolResult("\n\n<information>Empty search query.</information>\n\n", False)
        try:
            passages = self.retriever.search(call.payload, self.topk)
        except Exception as exc:  # a server down or a bad answer is the agent's observation
            return ToolResult(
                f"\n\n<information>[Search error: {type(exc).__name__}: {exc}]</information>\n\n",
                False,
            )
        text = format_passages(passages) or "No results.\n"
        return ToolResult(f"\n\n<information>{text}</information>\n\n", True)

    def __repr__(self) -> str:
        return f"SearchTool(retriever={type(self.retriever).__name__}, topk={self.topk})"
