"""Token-exact chat histories: ``ApplyChatTemplate(token_ids=True)`` and ``ChatTokens``.

The ids a wrapper keeps must equal the chat template's tokenization of the whole conversation,
for every template the project ships or tests with; the reasoning template below, which drops
past ``<think>`` blocks, is the documented exception.
"""

from __future__ import annotations

import pickle
from functools import partial
from typing import Any

import gymnasium as gym
import pytest

import gem_gymnasium
from gem_gymnasium.trainers.tiny import CHAT_TEMPLATE as TINY_TEMPLATE
from gem_gymnasium.trainers.tiny import build_tokenizer
from gem_gymnasium.wrappers import ApplyChatTemplate, ChatTokens, SampledResponse

pytestmark = pytest.mark.timeout(120)

# The template of tests/wrappers/test_wrappers.py: no newlines, one end token.
ROLE_END_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

# A Qwen/Hermes-style ChatML template with tools: schemas in the system turn, tool results as
# <tool_response> blocks inside a user turn (consecutive results share one).
CHATML_TOOLS_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\n"
    "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}\n\n{% endif %}"
    "You can call these functions; their JSON schemas are inside <tools></tools>:\n<tools>\n"
    "{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}</tools>\n"
    'Call one as <tool_call>{"name": ..., "arguments": {...}}</tool_call>.<|im_end|>\n'
    "{%- elif messages[0]['role'] == 'system' %}<|im_start|>system\n"
    "{{ messages[0]['content'] }}<|im_end|>\n"
    "{%- endif %}"
    "{%- for m in messages %}"
    "{%- if m['role'] == 'tool' %}"
    "{%- if loop.first or messages[loop.index0 - 1]['role'] != 'tool' %}<|im_start|>user{% endif %}"
    "\n<tool_response>\n{{ m['content'] }}\n</tool_response>"
    "{%- if loop.last or messages[loop.index0 + 1]['role'] != 'tool' %}<|im_end|>\n{% endif %}"
    "{%- elif m['role'] != 'system' %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# A reasoning template: assistant turns before the last user turn lose their <think> block.
REASONING_TEMPLATE = (
    "{%- set ns = namespace(last_user=-1) %}"
    "{%- for m in messages %}{% if m['role'] == 'user' %}{% set ns.last_user = loop.index0 %}"
    "{% endif %}{% endfor %}"
    "{%- for m in messages %}"
    "{%- set content = m['content'] %}"
    "{%- if m['role'] == 'assistant' and loop.index0 < ns.last_user and '</think>' in content %}"
    "{%- set content = content.split('</think>')[-1] %}"
    "{%- endif %}"
    "<|im_start|>{{ m['role'] }}\n{{ content }}<|im_end|>\n"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = [
    "Guess the number between 1 and 20. Enter your guess as \\boxed{N}, for example \\boxed{7}.",
    "Sudoku grid row column value place digit. Current grid: Empty cells: Turns left:",
    '<tool_call>\n{"name": "place", "arguments": {"row": 1, "col": 2, "digit": 3}}\n</tool_call>',
    "<tool_response> Answer the question <answer>Paris</answer> reasoning <think> hmm </think>",
]


def role_end_tokenizer() -> Any:
    """A byte-level BPE with the role tokens of ROLE_END_TEMPLATE as special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|end|>")
    fast.chat_template = ROLE_END_TEMPLATE
    return fast


def chatml_tokenizer(template: str) -> Any:
    tokenizer = build_tokenizer(CORPUS)
    tokenizer.chat_template = template
    return tokenizer


TOKENIZERS = {
    "tiny": lambda: chatml_tokenizer(TINY_TEMPLATE),
    "role_end": role_end_tokenizer,
    "chatml_tools": lambda: chatml_tokenizer(CHATML_TOOLS_TEMPLATE),
}


def template_ids(tokenizer: Any, messages: list[dict[str, Any]], **kwargs: Any) -> list[int]:
    """The template's own tokenization of the whole conversation."""
    ids = tokenizer.apply_chat_template(
        messages, tokenize=True, add_generation_prompt=True, **kwargs
    )
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


def sampled(tokenizer: Any, text: str) -> SampledResponse:
    """A reply as an engine returns it: its tokens and the end-of-turn token."""
    ids = [*tokenizer.encode(text, add_special_tokens=False), tokenizer.eos_token_id]
    return SampledResponse(text, ids)


@pytest.mark.parametrize("template", sorted(TOKENIZERS))
@pytest.mark.parametrize(
    ("env_id", "answer_format"),
    [
        ("gem/GuessTheNumber-v0", "boxed"),
        ("gem/Sudoku-Easy-v0", "tool_call"),
        ("gem/Minesweeper-Easy-v0", "answer_tags"),
    ],
)
@pytest.mark.parametrize("system_prompt", [None, "Play well."])
def test_ids_equal_the_templates_rendering_of_the_whole_conversation(
    template: str, env_id: str, answer_format: str, system_prompt: str | None
) -> None:
    tokenizer = TOKENIZERS[template]()
    env = ApplyChatTemplate(
        gem_gymnasium.make(env_id, answer_format=answer_format, end_on_format_error=False),
        tokenizer,
        system_prompt=system_prompt,
        token_ids=True,
    )
    kwargs = dict(env.template_kwargs)
    _, info = env.reset(seed=3)
    env.unwrapped.action_space.seed(3)
    assert info["prompt_ids"] == template_ids(tokenizer, info["messages"], **kwargs)
    replies: list[int] = []
    for _ in range(5):
        reply = sampled(tokenizer, env.unwrapped.sample_random_action())
        replies += reply.token_ids
        _, _, terminated, truncated, info = env.step(reply)
        expected = template_ids(tokenizer, info["messages"], **kwargs)
        assert info["prompt_ids"] == expected
        assert info["response_retokenized"] is False
        mask = info["loss_mask"]
        assert len(mask) == len(expected)
        assert [t for t, m in zip(expected, mask, strict=True) if m] == replies
        if terminated or truncated:
            break
    assert env.chat.prefix_preserving


def test_a_prompt_extends_the_previous_prompt_by_the_sampled_ids() -> None:
    tokenizer = TOKENIZERS["tiny"]()
    env = ApplyChatTemplate(gem_gymnasium.make("gem/GuessTheNumber-v0"), tokenizer, token_ids=True)
    _, info = env.reset(seed=0)
    previous = info["prompt_ids"]
    # Ids no tokenizer would produce for this text: the history must keep them, not re-tokenize.
    odd = SampledResponse(
        "\\boxed{10}", [*tokenizer.encode("\\boxed{1"), 17, tokenizer.eos_token_id]
    )
    _, _, _, _, info = env.step(odd)
    assert info["prompt_ids"][: len(previous)] == previous
    assert info["prompt_ids"][len(previous) : len(previous) + len(odd.token_ids)] == list(
        odd.token_ids
    )
    assert info["loss_mask"][len(previous) :].count(1) == len(odd.token_ids)


def test_tool_call_envs_pass_their_tools_and_answer_as_tool_results() -> None:
    tokenizer = TOKENIZERS["chatml_tools"]()
    env = ApplyChatTemplate(
        gem_gymnasium.make("gem/Sudoku-Easy-v0", answer_format="tool_call"),
        tokenizer,
        token_ids=True,
    )
    observation, info = env.reset(seed=1)
    assert '"name": "place"' in observation and "<tools>" in observation
    _, _, _, _, info = env.step(sampled(tokenizer, env.unwrapped.sample_random_action()))
    assert info["messages"][-1]["role"] == "tool"
    assert "<tool_response>" in env.chat.text


def test_a_plain_str_action_is_tokenized_and_flagged() -> None:
    tokenizer = TOKENIZERS["tiny"]()
    env = ApplyChatTemplate(gem_gymnasium.make("gem/GuessTheNumber-v0"), tokenizer, token_ids=True)
    env.reset(seed=0)
    _, _, _, _, info = env.step("\\boxed{10}")
    assert info["response_retokenized"] is True
    assert info["prompt_ids"] == template_ids(tokenizer, info["messages"])


def test_reasoning_templates_are_reported_and_keep_the_sampled_reasoning() -> None:
    tokenizer = chatml_tokenizer(REASONING_TEMPLATE)
    env = ApplyChatTemplate(gem_gymnasium.make("gem/GuessTheNumber-v0"), tokenizer, token_ids=True)
    assert env.chat.prefix_preserving is False
    _, info = env.reset(seed=0)
    reply = sampled(tokenizer, "<think>halfway</think>\\boxed{10}")
    _, _, _, _, info = env.step(reply)
    # The template's re-rendering drops the past reasoning; the kept ids still hold it, exactly
    # as sampled, so the prompt is the previous one extended.
    rerendered = template_ids(tokenizer, info["messages"])
    assert info["prompt_ids"] != rerendered
    assert "halfway" not in tokenizer.decode(rerendered)
    assert "<think>halfway</think>" in tokenizer.decode(info["prompt_ids"])
    start = info["loss_mask"].index(1)
    assert info["prompt_ids"][start : start + len(reply.token_ids)] == list(reply.token_ids)


def test_the_conversation_text_matches_the_ids() -> None:
    tokenizer = TOKENIZERS["chatml_tools"]()
    chat = ChatTokens(tokenizer, system_prompt="Be brief.")
    chat.start("Question?")
    chat.extend(sampled(tokenizer, "An answer.").token_ids, "Feedback.", role="user")
    assert tokenizer.encode(chat.text, add_special_tokens=False) == chat.ids


def test_token_ids_needs_the_whole_history() -> None:
    with pytest.raises(ValueError, match="max_history=None"):
        ApplyChatTemplate(
            gem_gymnasium.make("gem/GuessTheNumber-v0"),
            TOKENIZERS["tiny"](),
            max_history=2,
            token_ids=True,
        )


def test_sampled_response_pickles_with_its_ids() -> None:
    reply = pickle.loads(pickle.dumps(SampledResponse("hi", [1, 2])))
    assert isinstance(reply, SampledResponse) and reply == "hi" and reply.token_ids == (1, 2)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec_carries_the_ids(mode: str) -> None:
    tokenizer = TOKENIZERS["tiny"]()
    envs = gym.make_vec(
        "gem/GuessTheNumber-v0",
        num_envs=2,
        vectorization_mode=mode,
        wrappers=[partial(ApplyChatTemplate, tokenizer=tokenizer, token_ids=True)],
    )
    try:
        _, infos = envs.reset(seed=0)
        replies = (sampled(tokenizer, "\\boxed{10}"), sampled(tokenizer, "\\boxed{3}"))
        _, _, _, _, infos = envs.step(replies)
        for i, reply in enumerate(replies):
            ids, mask = list(infos["prompt_ids"][i]), list(infos["loss_mask"][i])
            assert [t for t, m in zip(ids, mask, strict=True) if m] == list(reply.token_ids)
            assert infos["response_retokenized"][i] is False or not infos["response_retokenized"][i]
    finally:
        envs.close()


def test_rollout_with_a_tiny_model_keeps_the_sampled_ids() -> None:
    """The trainer's loop: generate from ``info["prompt_ids"]``, step with the sampled ids."""
    from types import SimpleNamespace

    from gem_gymnasium.trainers.engines.base import SamplingParams
    from gem_gymnasium.trainers.engines.hf import HFEngine
    from gem_gymnasium.trainers.tiny import build_model
    from gem_gymnasium.wrappers import apply_wrappers

    tokenizer = TOKENIZERS["tiny"]()
    engine = HFEngine(build_model(tokenizer), tokenizer, SimpleNamespace(generate_batch_size=2))
    envs = gym.make_vec(
        "gem/Sudoku-Easy-v0",
        num_envs=2,
        wrappers=[partial(apply_wrappers, spec="concat_chat", tokenizer=tokenizer, token_ids=True)],
        end_on_format_error=False,
    )
    try:
        _, infos = envs.reset(seed=0)
        for _ in range(3):
            prompts = [list(p) for p in infos["prompt_ids"]]
            generations = engine.generate(
                prompts, SamplingParams(max_new_tokens=6, temperature=1.0)
            )
            actions = tuple(SampledResponse(g.text, g.response_ids) for g in generations)
            _, _, terminated, _, infos = envs.step(actions)
            for i, gen in enumerate(generations):
                if terminated[i]:
                    continue
                ids = list(infos["prompt_ids"][i])
                assert ids[: len(prompts[i])] == prompts[i]
                assert (
                    ids[len(prompts[i]) : len(prompts[i]) + len(gen.response_ids)]
                    == gen.response_ids
                )
                mask = list(infos["loss_mask"][i])[len(prompts[i]) :]
                assert mask[: len(gen.response_ids)] == [1] * len(gen.response_ids)
                assert not any(mask[len(gen.response_ids) :])
    finally:
        envs.close()


def test_history_wrappers_keep_message_dict_actions() -> None:
    from gem_gymnasium.wrappers import ConcatenateObservations

    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"function": {"name": "guess", "arguments": '{"number": 10}'}}],
    }
    env = ConcatenateObservations(
        gem_gymnasium.make("gem/GuessTheNumber-v0", answer_format="tool_call"), include_action=True
    )
    env.reset(seed=0)
    obs, _, _, _, info = env.step(message)
    assert '"name": "guess"' in obs
    assert info["messages"][1] == message and info["messages"][2]["role"] == "tool"
