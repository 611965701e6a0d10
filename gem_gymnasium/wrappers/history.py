"""Observation wrappers that show the agent the whole episode so far.

``ConcatenateObservations`` joins past observations (and, optionally, the agent's actions) into
one text; ``ApplyChatTemplate`` renders the same turns as chat messages through a Hugging Face
tokenizer's ``apply_chat_template``. Both keep the turns as a list of chat messages and put a copy
in ``info["messages"]``, so trainers can use the structured history directly.
"""

from __future__ import annotations

from collections import deque
from typing import Any, SupportsFloat

import gymnasium as gym

from gem_gymnasium.extras import optional_imports
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH, TextSpace

__all__ = ["ApplyChatTemplate", "ConcatenateObservations"]


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


class _RecordTurns(gym.Wrapper[str, str, str, str]):
    """Keeps the episode's turns: the first observation, then (action, observation) pairs.

    An observation from a tool turn (``info["use_tool"]``) has the ``tool`` role; on such turns
    the action kept is ``info["parsed_action"]`` (the action up to the end of its tool call).
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

    def messages(self) -> list[dict[str, str]]:
        """The kept turns as chat messages (user/tool observations, assistant actions)."""
        messages: list[dict[str, str]] = []
        for index, turn in enumerate(self._turns):
            if index > 0:
                messages.append({"role": "assistant", "content": turn["action"]})
            messages.append({"role": turn["role"], "content": turn["observation"]})
        return messages

    def render_history(self) -> str:
        raise NotImplementedError

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        observation, info = self.env.reset(seed=seed, options=options)
        self._turns.clear()
        self._turns.append({"role": "user", "observation": observation})
        info["messages"] = self.messages()
        return self.render_history(), info

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._turns.append(
            {
                "role": "tool" if info.get("use_tool") else "user",
                "observation": observation,
                "action": info.get("parsed_action", action),
            }
        )
        info["messages"] = self.messages()
        return self.render_history(), reward, terminated, truncated, info


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
        >>> obs, *_ = env.step("\\\\boxed{5}")
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
                parts.append(_with_newline(turn["action"]))
            parts.append(_with_newline(turn["observation"]))
        return "".join(parts)


class ApplyChatTemplate(_RecordTurns, gym.utils.RecordConstructorArgs):
    """Render the episode as chat messages through a tokenizer's chat template.

    Each observation is a ``user`` message (``tool`` after a tool turn), each action an
    ``assistant`` message, and the text ends with the generation prompt, so it can be fed to the
    model as is. The current observation is the last user/tool message. GEM's ``concat_chat``.

    Args:
        env: A text environment.
        tokenizer: A Hugging Face tokenizer with a chat template, or a name/path to load one with
            ``AutoTokenizer.from_pretrained``.
        system_prompt: An optional system message put first.
        max_history: Past steps to keep; ``None`` keeps the whole episode.
        template_kwargs: Extra keyword arguments for ``apply_chat_template`` (for example
            ``{"enable_thinking": False}``).
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        tokenizer: Any = None,
        *,
        system_prompt: str | None = None,
        max_history: int | None = None,
        template_kwargs: dict[str, Any] | None = None,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            tokenizer=tokenizer,
            system_prompt=system_prompt,
            max_history=max_history,
            template_kwargs=template_kwargs,
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

    def messages(self) -> list[dict[str, str]]:
        messages = super().messages()
        if self.system_prompt:
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        return messages

    def render_history(self) -> str:
        return self.tokenizer.apply_chat_template(
            self.messages(), tokenize=False, add_generation_prompt=True, **self.template_kwargs
        )
