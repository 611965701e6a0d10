"""``gem_gymnasium.register``: the catalogue and Gymnasium's registry never disagree."""

from __future__ import annotations

import gymnasium as gym
import pytest

import gem_gymnasium

ENTRY_POINT = "gem_gymnasium.envs.games.guess_the_number:GuessTheNumber"


def test_registering_again_with_other_kwargs_updates_gymnasium_and_the_catalogue() -> None:
    gem_gymnasium.register("mylab/Again-v0", ENTRY_POINT, kwargs={"max_number": 5})
    gem_gymnasium.register("mylab/Again-v0", ENTRY_POINT, kwargs={"max_number": 5})  # no-op
    with pytest.warns(UserWarning, match="Overriding"):
        gem_gymnasium.register(
            "mylab/Again-v0", ENTRY_POINT, kwargs={"max_number": 7}, max_episode_steps=3
        )
    assert gym.spec("mylab/Again-v0").kwargs == {"max_number": 7}
    assert gem_gymnasium.catalogue()["mylab/Again-v0"].kwargs == {"max_number": 7}
    env = gym.make("mylab/Again-v0")
    assert env.unwrapped.max_number == 7 and env.spec.max_episode_steps == 3
    env.close()


@pytest.mark.parametrize("bad_id", ["game:Mine-v0", "mylab/Odd:Name-v0"])
def test_an_id_gymnasium_cannot_make_is_refused(bad_id: str) -> None:
    with pytest.raises(ValueError, match=r"contains ':'.*gem_ids"):
        gem_gymnasium.register(bad_id, ENTRY_POINT)
    assert bad_id not in gem_gymnasium.catalogue() and bad_id not in gym.registry


@pytest.mark.parametrize("bad_id", ["", "mylab/", "a/b/c-v0", 5])
def test_a_malformed_id_is_refused(bad_id) -> None:
    with pytest.raises(ValueError, match="id"):
        gem_gymnasium.register(bad_id, ENTRY_POINT)


def test_gem_style_names_go_in_gem_ids() -> None:
    gem_gymnasium.register("mylab/Named-v0", ENTRY_POINT, gem_ids=("game:Named-v0",))
    assert gem_gymnasium.make("game:Named-v0").spec.id == "mylab/Named-v0"
