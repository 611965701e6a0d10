"""gem-gymnasium: GEM's LLM-agent environments as real Gymnasium environments.

Importing the package registers every environment under the ``gem/`` namespace::

    import gymnasium as gym
    import gem_gymnasium  # noqa: F401

    env = gym.make("gem/GuessTheNumber-v0")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("I think \\boxed{10}")
"""

from __future__ import annotations

from gem_gymnasium.core import EnvState, Outcome, TextEnv
from gem_gymnasium.registration import catalogue, make, print_envs, register, register_all
from gem_gymnasium.spaces import TextSpace

__version__ = "0.1.0"

__all__ = [
    "EnvState",
    "Outcome",
    "TextEnv",
    "TextSpace",
    "__version__",
    "catalogue",
    "make",
    "make_vec",
    "print_envs",
    "register",
]

register_all()


def __getattr__(name: str) -> object:  # make_vec loads gem_gymnasium.vector on first use
    if name == "make_vec":
        from gem_gymnasium.vector import make_vec

        return make_vec
    raise AttributeError(f"module 'gem_gymnasium' has no attribute {name!r}")
