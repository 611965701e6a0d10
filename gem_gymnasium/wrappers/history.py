"""Observation wrappers that show the agent the whole episode so far.

``ConcatenateObservations`` joins past observations (and, optionally, the agent's actions) into
one text; ``ApplyChatTemplate`` renders the same turns as chat messages through a Hugging Face
tokenizer's ``apply_chat_template``. Both keep the turns as a list of chat messages and put a copy
in ``info["messages"]``, so trainers can use the structured history directly.

Token-level trainers use ``ApplyChatTemplate(..., token_ids=True)``: the wrapper then keeps the
conversation as token ids that only ever grow (:class:`ChatTokens`). Each turn's prompt is the
previous prompt + the response ids the model sampled (send the action as a
:class:`SampledResponse`) + the template's tokens for the new observation, so nothing is
re-tokenized and the ids are exactly what the model saw and produced. ``info["prompt_ids"]`` holds
them and ``info["loss_mask"]`` marks the model's tokens with 1.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, SupportsFloat

import gymnasium as gym

from gem_gymnasium.extras import optional_imports
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH, TextSpace

__all__ = ["ApplyChatTemplate", "ChatTokens", "ConcatenateObservations", "SampledResponse"]

_PROBE_USER, _PROBE_REPLY = "Hi.", "OK."  # a fixed exchange the per-turn renders start from


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


class _RecordTurns(gym.Wrapper[str, str, str, str]):
    """Keeps the episode's turns: the first observation, then (action, observation) pairs.

    An observation from a tool turn (``info["use_tool"]``), or from an env that takes tool calls
    as moves (``answer_format="tool_call"``: its observations are the tools' results), has the
    ``tool`` role; on tool turns the action kept is ``info["parsed_action"]`` (the action up to
    the end of its tool call). An action given as an assistant message (a dict) is kept as is.
    """

    def __init__(self, env: gym.Env[str, str], max_history: int | None) -> None:
        if max_history is not None and (not isinstance(max_history, int) or max_history < 0):
            raise ValueError(f"max_history must be an int >= 0 or None, got {max_history!r}")
        gym.Wrapper.__init__(self, env)
        self.max_history = max_history
        # One entry per observation; entry i > 0 also holds the action that led to it.
        self._turns: deque[dict[str, str]] = deque(
            maxlen=None if max_history is None else max_history + 1
        )
        bound = getattr(env.observation_space, "max_length", DEFAULT_MAX_LENGTH)
        self.observation_space = TextSpace(max(bound, DEFAULT_MAX_LENGTH) * 16)

    @property
    def turns(self) -> list[dict[str, str]]:
        """The kept turns: ``{"role", "observation", "action"}`` (``action`` absent on the first)."""
        return [dict(turn) for turn in self._turns]

    def messages(self) -> list[dict[str, Any]]:
        """The kept turns as chat messages (user/tool observations, assistant actions)."""
        messages: list[dict[str, Any]] = []
        for index, turn in enumerate(self._turns):
            if index > 0:
                action = turn["action"]
                if isinstance(action, Mapping):
                    messages.append({**action, "role": "assistant"})
                else:
                    messages.append({"role": "assistant", "content": str(action)})
            messages.append({"role": turn["role"], "content": turn["observation"]})
        return messages

    def _moves_by_tool_call(self) -> bool:
        fmt = getattr(self.env.unwrapped, "reply_format", None)
        return getattr(fmt, "kind", None) == "tool_call"

    def history_text(self, info: dict[str, Any], action: Any = None) -> str:
        """The observation to return after a reset (``action`` None) or a step."""
        return self.render_history()

    def render_history(self) -> str:
        raise NotImplementedError

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        observation, info = self.env.reset(seed=seed, options=options)
        self._turns.clear()
        self._turns.append({"role": "user", "observation": observation})
        info["messages"] = self.messages()
        return self.history_text(info), info

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        tool_turn = info.get("use_tool") or self._moves_by_tool_call()
        self._turns.append(
            {
                "role": "tool" if tool_turn else "user",
                "observation": observation,
                "action": info.get("parsed_action", action),
            }
        )
        info["messages"] = self.messages()
        return self.history_text(info, action), reward, terminated, truncated, info


class SampledResponse(str):
    """A model's reply: the text (it *is* that ``str``) and the token ids that were sampled.

    Step an ``ApplyChatTemplate(..., token_ids=True)`` env with it so the history keeps exactly
    these ids; a plain ``str`` action is tokenized instead (``info["response_retokenized"]``).
    It pickles with its ids, so it crosses process boundaries (async vector envs) intact.

    >>> reply = SampledResponse("<answer>7</answer>", [12, 5, 99])
    >>> reply == "<answer>7</answer>", reply.token_ids
    (True, (12, 5, 99))
    """

    token_ids: tuple[int, ...]

    def __new__(cls, text: str, token_ids: Sequence[int]) -> SampledResponse:
        reply = super().__new__(cls, text)
        reply.token_ids = tuple(int(t) for t in token_ids)
        return reply

    def __reduce__(self) -> tuple[Any, ...]:
        return (SampledResponse, (str(self), self.token_ids))


class ChatTokens:
    """A chat kept as token ids that only grow: the token-exact multi-turn history.

    The first prompt is the chat template's rendering, tokenized once. After that each turn adds
    the response ids as sampled (loss mask 1), then the template's tokens that close the
    assistant turn, present the new observation and open the next assistant turn (mask 0). Those
    are found by rendering the new message after a fixed two-message exchange, so a turn costs
    the same however long the episode is.

    Where the template renders a conversation as the concatenation of its turns, the ids equal
    ``apply_chat_template`` of the whole conversation whenever the sampled ids are what the
    reply tokenizes to (with the end-of-turn token). Templates that rewrite earlier turns, such
    as reasoning templates that drop ``<think>`` blocks from past assistant messages, are not
    prefix-preserving (:attr:`prefix_preserving` is ``False``): the ids then keep every turn as
    the model saw and produced it, which a fresh rendering of the history would not show.

    Args:
        tokenizer: A Hugging Face tokenizer with a chat template.
        system_prompt: An optional system message put first.
        tools: Tool schemas for the template (``apply_chat_template(tools=...)``).
        template_kwargs: Extra keyword arguments for ``apply_chat_template``.

    Attributes:
        ids: The conversation so far, ending with the generation prompt (do not mutate).
        loss_mask: One entry per id: 1 for sampled tokens, 0 for template and observations.
        text: The same conversation as text.
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        system_prompt: str | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        template_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self._head = [{"role": "system", "content": system_prompt}] if system_prompt else []
        self._kwargs = dict(template_kwargs or {})
        if tools:
            self._kwargs["tools"] = [dict(tool) for tool in tools]
        asked = [*self._head, {"role": "user", "content": _PROBE_USER}]
        self._probe = [*asked, {"role": "assistant", "content": _PROBE_REPLY}]
        self._probe_text = self._render(self._probe, generation_prompt=False)
        at = self._probe_text.rfind(_PROBE_REPLY)
        if at < 0:
            raise ValueError("the chat template does not show the assistant's content verbatim")
        closing = self._probe_text[at + len(_PROBE_REPLY) :]
        eos = tokenizer.eos_token
        # Engines usually return the end-of-turn token with the response; the rest of the
        # closing (ChatML's newline) is the template's.
        after_eos = closing[len(eos) :] if eos and closing.startswith(eos) else None
        self._closing = (closing, self._encode(closing))
        self._after_eos = None if after_eos is None else (after_eos, self._encode(after_eos))
        self.prefix_preserving = (
            self._render(asked, generation_prompt=True) + _PROBE_REPLY + (closing)
            == self._probe_text
            and self._keeps_reasoning()
        )
        self.ids: list[int] = []
        self.loss_mask: list[int] = []
        self.text = ""

    def _render(self, messages: list[dict[str, Any]], *, generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt, **self._kwargs
        )

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False)) if text else []

    def _keeps_reasoning(self) -> bool:
        """Whether a past reply with a reasoning block renders as it did when it was the last."""
        thinking = [*self._probe[:-1], {"role": "assistant", "content": "<think>x</think>OK."}]
        before = self._render(thinking, generation_prompt=False)
        after = self._render(
            [*thinking, {"role": "user", "content": "Hi."}], generation_prompt=True
        )
        return after.startswith(before)

    def start(self, observation: str, role: str = "user") -> list[int]:
        """Begin the conversation with ``observation``; the first prompt's ids."""
        messages = [*self._head, {"role": role, "content": observation}]
        self.text = self._render(messages, generation_prompt=True)
        self.ids = self._encode(self.text)
        self.loss_mask = [0] * len(self.ids)
        return self.ids

    def extend(
        self, response_ids: Sequence[int], observation: str, role: str = "user"
    ) -> list[int]:
        """Add the sampled response and the next observation; the ids that were added."""
        response = [int(t) for t in response_ids]
        eos_id = self.tokenizer.eos_token_id
        ends_turn = bool(response) and response[-1] == eos_id and self._after_eos is not None
        closing_text, closing_ids = self._after_eos if ends_turn else self._closing  # type: ignore[misc]
        message_text = self.observation_text(observation, role)
        added = response + closing_ids + self._encode(message_text)
        self.ids.extend(added)
        self.loss_mask.extend([1] * len(response) + [0] * (len(added) - len(response)))
        self.text += self.tokenizer.decode(response) + closing_text + message_text
        return added

    def observation_text(self, observation: str, role: str = "user") -> str:
        """The template's text for a new message after an assistant turn, through the
        generation prompt of the next one."""
        message = {"role": role, "content": observation}
        rendered = self._render([*self._probe, message], generation_prompt=True)
        if not rendered.startswith(self._probe_text):
            raise ValueError(
                f"the chat template renders a {role!r} message by changing the turns before it; "
                "token_ids mode needs a template that appends each message"
            )
        return rendered[len(self._probe_text) :]


class ConcatenateObservations(_RecordTurns, gym.utils.RecordConstructorArgs):
    """Show every observation so far (optionally with the agent's actions) as one text.

    The observation after ``n`` steps is ``obs_0, [act_1,] obs_1, ..., [act_n,] obs_n``, each part
    ending in a newline. With ``max_history=k`` only the last ``k`` steps are kept (plus the
    observation they led from). GEM's ``concat`` and ``concat_with_action``.

    Args:
        env: A text environment.
        include_action: Put the agent's actions between the observations.
        max_history: Past steps to keep; ``None`` keeps the whole episode.

    Example:
        >>> import gem_gymnasium
        >>> env = ConcatenateObservations(gem_gymnasium.make("gem/GuessTheNumber-v0"),
        ...                               include_action=True)
        >>> obs, info = env.reset(seed=0)
        >>> obs, _, _, _, info = env.step("\\\\boxed{5}")
        >>> "\\\\boxed{5}" in obs and len(info["messages"]) == 3
        True
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        *,
        include_action: bool = False,
        max_history: int | None = None,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, include_action=include_action, max_history=max_history
        )
        _RecordTurns.__init__(self, env, max_history)
        self.include_action = include_action

    def render_history(self) -> str:
        parts = []
        for index, turn in enumerate(self._turns):
            if index > 0 and self.include_action:
                action = turn["action"]
                if isinstance(action, Mapping):  # an assistant message: show it as its JSON
                    action = json.dumps(action, ensure_ascii=False, default=str)
                parts.append(_with_newline(action))
            parts.append(_with_newline(turn["observation"]))
        return "".join(parts)


class ApplyChatTemplate(_RecordTurns, gym.utils.RecordConstructorArgs):
    """Render the episode as chat messages through a tokenizer's chat template.

    Each observation is a ``user`` message (``tool`` after a tool turn, and for envs that take
    tool calls as moves), each action an ``assistant`` message, and the text ends with the
    generation prompt, so it can be fed to the model as is. The current observation is the last
    user/tool message. When the env takes tool calls (``answer_format="tool_call"``) its move
    tools go to the template as ``tools=``. GEM's ``concat_chat``.

    With ``token_ids=True`` the history is kept as token ids instead of being re-rendered every
    turn (:class:`ChatTokens`): ``info["prompt_ids"]`` is the next prompt (previous prompt +
    sampled response ids + the new observation's tokens) and ``info["loss_mask"]`` marks the
    sampled tokens with 1. Step with :class:`SampledResponse` actions so the ids are the ones the
    model produced; a plain ``str`` is tokenized (``info["response_retokenized"]`` is then
    ``True``). The observation is the same conversation as text. Works under
    ``gymnasium.make_vec`` (sync and async): ``SampledResponse`` is a ``str`` and pickles with its
    ids.

    Args:
        env: A text environment.
        tokenizer: A Hugging Face tokenizer with a chat template, or a name/path to load one with
            ``AutoTokenizer.from_pretrained``.
        system_prompt: An optional system message put first.
        max_history: Past steps to keep; ``None`` keeps the whole episode.
        template_kwargs: Extra keyword arguments for ``apply_chat_template`` (for example
            ``{"enable_thinking": False}``).
        token_ids: Keep the token-exact history (see above); needs ``max_history=None``.

    Example:
        >>> from functools import partial
        >>> import gymnasium as gym
        >>> from gem_gymnasium.trainers.tiny import build_tokenizer
        >>> tokenizer = build_tokenizer(["Guess a number"])
        >>> envs = gym.make_vec("gem/GuessTheNumber-v0", num_envs=2, wrappers=[
        ...     partial(ApplyChatTemplate, tokenizer=tokenizer, token_ids=True)])
        >>> _, infos = envs.reset(seed=0)
        >>> reply = tokenizer.encode("\\\\boxed{10}") + [tokenizer.eos_token_id]
        >>> _, _, _, _, infos = envs.step((SampledResponse("\\\\boxed{10}", reply),) * 2)
        >>> prompt, mask = infos["prompt_ids"][0], infos["loss_mask"][0]
        >>> prompt[len(prompt) - len(mask):] == prompt and sum(mask) == len(reply)
        True
        >>> envs.close()
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        tokenizer: Any = None,
        *,
        system_prompt: str | None = None,
        max_history: int | None = None,
        template_kwargs: dict[str, Any] | None = None,
        token_ids: bool = False,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            tokenizer=tokenizer,
            system_prompt=system_prompt,
            max_history=max_history,
            template_kwargs=template_kwargs,
            token_ids=token_ids,
        )
        _RecordTurns.__init__(self, env, max_history)
        if tokenizer is None:
            raise ValueError("ApplyChatTemplate needs a tokenizer (pass tokenizer=...)")
        if isinstance(tokenizer, str):
            with optional_imports("loading a tokenizer by name"):
                from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(tokenizer)
        if not hasattr(tokenizer, "apply_chat_template"):
            raise TypeError(
                f"tokenizer must have apply_chat_template, got {type(tokenizer).__name__}"
            )
        self.tokenizer = tokenizer
        self.system_prompt = system_prompt
        self.template_kwargs = dict(template_kwargs or {})
        if self._moves_by_tool_call():
            self.template_kwargs.setdefault("tools", env.unwrapped.tool_schemas())
        if token_ids and max_history is not None:
            raise ValueError("token_ids=True keeps the whole episode; leave max_history=None")
        self.chat: ChatTokens | None = None
        if token_ids:
            self.chat = ChatTokens(
                tokenizer, system_prompt=system_prompt, template_kwargs=self.template_kwargs
            )

    def messages(self) -> list[dict[str, str]]:
        messages = super().messages()
        if self.system_prompt:
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        return messages

    def render_history(self) -> str:
        return self.tokenizer.apply_chat_template(
            self.messages(), tokenize=False, add_generation_prompt=True, **self.template_kwargs
        )

    def history_text(self, info: dict[str, Any], action: Any = None) -> str:
        chat = self.chat
        if chat is None:
            return self.render_history()
        latest = self._turns[-1]
        if action is None:
            chat.start(latest["observation"], latest["role"])
        else:
            sampled = getattr(action, "token_ids", None)
            if sampled is None:
                if not isinstance(action, str):
                    raise TypeError(
                        "token_ids=True takes the model's text as actions (a SampledResponse "
                        f"or a str), got {type(action).__name__}"
                    )
                sampled = chat.tokenizer.encode(action, add_special_tokens=False)
            info["response_retokenized"] = not isinstance(action, SampledResponse)
            chat.extend(sampled, latest["observation"], latest["role"])
        info["prompt_ids"] = list(chat.ids)
        info["loss_mask"] = list(chat.loss_mask)
        return chat.text
