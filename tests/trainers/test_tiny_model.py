"""The tiny local model's cache: one build per env, whatever the id's spelling."""

from __future__ import annotations

from pathlib import Path

from gem_gymnasium.trainers import tiny


def test_every_spelling_of_an_env_shares_one_cached_model(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    builds = []

    def fake_build(path, env_ids, **options):
        builds.append(list(env_ids))
        Path(path).mkdir(parents=True)
        (Path(path) / "config.json").write_text("{}")
        return Path(path)

    monkeypatch.setattr(tiny, "build_tiny_model", fake_build)
    first = tiny.default_model("game:GuessTheNumber-v0-easy")
    assert tiny.default_model("gem/GuessTheNumber-Easy-v0") == first
    assert tiny.default_model("GuessTheNumber-Easy-v0") == first
    assert builds == [["gem/GuessTheNumber-Easy-v0"]]
    assert tiny.default_model("gem/GuessTheNumber-Hard-v0") != first  # another env, another model
    assert len(builds) == 2
