"""Prompt tokens per turn and rollout time of a 5-turn Sudoku-Easy episode: the chat history
re-rendered and re-tokenized every turn vs kept as token ids (``token_ids=True``).

Both paths play the same episode (seed, moves and sampled response ids are the same):

* re-render: ``ApplyChatTemplate`` renders the whole conversation every turn and the trainer
  tokenizes that text (what ``gem-gym train``'s rollout does with ``concat_chat``);
* token-exact: ``ApplyChatTemplate(token_ids=True)`` appends the sampled ids and the new
  observation's tokens; the prompt is ``info["prompt_ids"]``.

The policy is scripted (it places solution digits after a sentence of reasoning), so the time is
the host side of a rollout (env, chat template, tokenizer) without a model. The tokenizer is the
project's tiny byte-level BPE (:func:`gem_gymnasium.trainers.tiny.build_tokenizer`), trained on
Sudoku episodes with ``--vocab`` merges and the ChatML template of ``trainers/tiny.py``; nothing
is downloaded. The table reports, per turn, the prompt length, the tokens the tokenizer had to
encode that turn, and the median wall time of the turn over ``--repeats`` episodes; the two paths'
prompts are checked to be the same ids.

    python bench/bench_chat_tokens.py [--turns 5] [--repeats 200] [--vocab 4096]
                                      [--answer-format boxed|tool_call]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import gem_gymnasium
from gem_gymnasium.trainers.tiny import build_tokenizer
from gem_gymnasium.wrappers import ApplyChatTemplate, SampledResponse

ENV_ID = "gem/Sudoku-Easy-v0"


def reply_text(env: Any) -> str:
    """A short piece of reasoning and a correct placement, in the env's answer format."""
    core = env.unwrapped
    cell = core.board.index(0)
    row, col, digit = cell // core.size + 1, cell % core.size + 1, core.solution[cell]
    move = core.reply_format.render(f"{row} {col} {digit}", core.move_tools)
    return (
        f"Row {row} and column {col} already hold the other digits of the box, so the only "
        f"digit left for this cell is {digit}. {move}"
    )


def train_tokenizer(vocab: int, answer_format: str) -> Any:
    texts = []
    for seed in range(200):
        env = gem_gymnasium.make(ENV_ID, answer_format=answer_format)
        observation, _ = env.reset(seed=10_000 + seed)
        texts.append(observation)
        for _ in range(3):
            action = reply_text(env)
            observation, *_ = env.step(action)
            texts += [action, observation]
    return build_tokenizer(texts, vocab_size=vocab)


def episode(tokenizer: Any, seed: int, turns: int, answer_format: str, exact: bool) -> dict:
    """Play one episode; per turn: prompt ids, tokens encoded, seconds."""
    env = ApplyChatTemplate(
        gem_gymnasium.make(ENV_ID, answer_format=answer_format), tokenizer, token_ids=exact
    )
    eos = tokenizer.eos_token_id
    prompts, encoded, seconds = [], [], []
    reply_ids: list[int] = []
    start = time.perf_counter()
    text, info = env.reset(seed=seed)
    for turn in range(turns):
        if exact:
            prompt = info["prompt_ids"]
            added = len(prompt) - (len(prompts[-1]) + len(reply_ids) if prompts else 0)
        else:
            prompt = tokenizer(text).input_ids
            added = len(prompt)
        seconds.append(time.perf_counter() - start)
        prompts.append(prompt)
        encoded.append(added)
        if turn == turns - 1:
            break
        # The "model": its sampled ids are the reply's tokens and the end-of-turn token
        # (outside the timed part, as generation would be).
        reply = reply_text(env)
        reply_ids = [*tokenizer.encode(reply, add_special_tokens=False), eos]
        start = time.perf_counter()
        text, _, terminated, _, info = env.step(SampledResponse(reply, reply_ids))
        assert not terminated
    env.close()
    return {"prompts": prompts, "encoded": encoded, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--answer-format", default="boxed", choices=["boxed", "tool_call"])
    args = parser.parse_args()

    tokenizer = train_tokenizer(args.vocab, args.answer_format)
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for seed in range(args.repeats):  # interleaved, so load changes hit both paths alike
        for exact in (False, True):
            runs[exact].append(episode(tokenizer, seed, args.turns, args.answer_format, exact))
    for old, new in zip(runs[False], runs[True], strict=True):
        assert old["prompts"] == new["prompts"], "the two paths disagree on the prompt ids"

    def median(exact: bool, key: str, turn: int) -> float:
        return statistics.median(run[key][turn] for run in runs[exact])

    print(
        f"{ENV_ID}, answer_format={args.answer_format}, {args.turns} turns, tiny BPE "
        f"vocab {len(tokenizer)}, median of {args.repeats} episodes"
    )
    header = (
        f"{'turn':>4} {'prompt tokens':>13} {'encoded: re-render':>19} {'token-exact':>12}"
        f" {'ms: re-render':>14} {'token-exact':>12} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    total_old = total_new = 0.0
    for turn in range(args.turns):
        old_ms, new_ms = median(False, "seconds", turn) * 1e3, median(True, "seconds", turn) * 1e3
        total_old, total_new = total_old + old_ms, total_new + new_ms
        print(
            f"{turn + 1:>4} {len(runs[True][0]['prompts'][turn]):>13}"
            f" {median(False, 'encoded', turn):>19.0f} {median(True, 'encoded', turn):>12.0f}"
            f" {old_ms:>14.3f} {new_ms:>12.3f} {old_ms / new_ms:>8.2f}x"
        )
    encoded_old = sum(median(False, "encoded", t) for t in range(args.turns))
    encoded_new = sum(median(True, "encoded", t) for t in range(args.turns))
    print(
        f"episode: {encoded_old:.0f} vs {encoded_new:.0f} tokens encoded, "
        f"{total_old:.3f} vs {total_new:.3f} ms ({total_old / total_new:.2f}x)"
    )


if __name__ == "__main__":
    main()
