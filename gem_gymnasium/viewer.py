"""The episode viewer: one self-contained HTML page over trajectory JSONL files.

Reads the records that ``gem-gym eval`` and the trainer's ``--log_episodes`` write (one episode
per line: ``env_id``, ``seed``, ``success``, ``return``, ``format_errors`` and ``turns``, each turn
with ``observation``, ``response``, ``invalid``, ``reward`` and ``info``). Games get their images
by replaying the episode: the env is made again, reset with the recorded seed and stepped with the
recorded actions, rendering an ``rgb_array`` frame per state. A replay whose rewards differ from
the record (another env version, options the record does not hold) keeps no images.

The page needs no network: data, script and style are inline, episodes are parsed only when opened
and the list draws only its visible rows, so it opens quickly on tens of thousands of episodes.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["REQUIRED_KEYS", "EpisodeFileError", "build_page", "read_episodes", "replay_frames"]

#: Keys every episode record must have for the page to show it.
REQUIRED_KEYS = ("env_id", "seed", "turns")
#: The action an env received for a response cut off by the length limit (see the trainer).
_CUT_OFF_ACTION = "[invalid action: the response was cut off]"
#: Catalogue groups whose envs draw a picture; other envs' frames would only repeat the text.
_DRAWN_GROUPS = frozenset({"game", "multiagent"})


class EpisodeFileError(ValueError):
    """A trajectory file that cannot be read; the message names the file and line."""


def read_episodes(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Every episode record of the JSONL ``paths``, in order; bad lines raise EpisodeFileError."""
    episodes = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise EpisodeFileError(f"cannot read {path}: {error.strerror or error}") from error
        except UnicodeDecodeError as error:
            raise EpisodeFileError(
                f"{path} is not UTF-8 text (a JSONL file is expected)"
            ) from error
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise EpisodeFileError(f"{path}:{number}: not JSON ({error.msg})") from error
            if not isinstance(record, dict):
                raise EpisodeFileError(f"{path}:{number}: an episode must be a JSON object")
            missing = [key for key in REQUIRED_KEYS if key not in record]
            if missing or not isinstance(record["turns"], list):
                raise EpisodeFileError(
                    f"{path}:{number}: not an episode record (needs {', '.join(REQUIRED_KEYS)}; "
                    f"missing {', '.join(missing) or 'a list of turns'})"
                )
            episodes.append(record)
    return episodes


def _action_of(turn: dict[str, Any]) -> str:
    return _CUT_OFF_ACTION if turn.get("invalid") else str(turn.get("response", ""))


def _png_uri(frame: Any) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def replay_frames(env: Any, episode: dict[str, Any]) -> list[str] | None:
    """PNG data URIs of the state before each turn and after the last one, by replaying
    ``episode`` in ``env`` (made with ``render_mode="rgb_array"``); ``None`` if it diverges."""
    env.reset(seed=int(episode["seed"]))
    frames = [_png_uri(env.render())]
    for turn in episode["turns"]:
        _, reward, terminated, truncated, _ = env.step(_action_of(turn))
        if not math.isclose(reward, float(turn.get("reward", reward)), abs_tol=1e-6):
            return None
        frames.append(_png_uri(env.render()))
        if terminated or truncated:
            break
    return frames if len(frames) == len(episode["turns"]) + 1 else None


class _FrameMaker:
    """Makes one rgb_array env per id (for drawn games only) and replays episodes in it."""

    def __init__(self) -> None:
        self.envs: dict[str, Any] = {}

    def env_for(self, env_id: str) -> Any:
        if env_id not in self.envs:
            self.envs[env_id] = self._make(env_id)
        return self.envs[env_id]

    @staticmethod
    def _make(env_id: str) -> Any:
        import gymnasium as gym

        from gem_gymnasium.registration import catalogue, make, resolve_id

        try:
            resolved = resolve_id(env_id)
        except gym.error.Error:
            return None  # an id this install does not know: the page shows text only
        info = catalogue().get(resolved)
        if info is None or info.group not in _DRAWN_GROUPS:
            return None
        return make(resolved, render_mode="rgb_array")

    def frames(self, episode: dict[str, Any]) -> tuple[list[str] | None, str]:
        env = self.env_for(str(episode["env_id"]))
        if env is None:
            return None, ""
        try:
            frames = replay_frames(env, episode)
        except Exception as error:  # a record from another version must not stop the page
            return None, f"no images: the replay failed ({type(error).__name__})"
        return frames, "" if frames else "no images: the replay differs from the record"

    def close(self) -> None:
        for env in self.envs.values():
            if env is not None:
                env.close()


def _index_entry(episode: dict[str, Any]) -> dict[str, Any]:
    turns = episode["turns"]
    format_errors = episode.get("format_errors")
    if format_errors is None:
        format_errors = sum(bool((t.get("info") or {}).get("format_error")) for t in turns)
    total = episode.get("return")
    if total is None:
        total = sum(float(t.get("reward", 0.0)) for t in turns)
    return {
        "env": str(episode["env_id"]),
        "seed": episode["seed"],
        "success": bool(episode.get("success", False)),
        "return": float(total),
        "turns": len(turns),
        "format_errors": int(format_errors),
    }


def _records(episodes: Iterable[dict[str, Any]], image_limit: int) -> Iterator[tuple[dict, str]]:
    maker = _FrameMaker()
    try:
        for i, episode in enumerate(episodes):
            record = dict(episode)
            if i < image_limit:
                frames, note = maker.frames(episode)
                if frames:
                    record["frames"] = frames
                if note:
                    record["frames_note"] = note
            yield _index_entry(episode), json.dumps(record, ensure_ascii=False)
    finally:
        maker.close()


def build_page(episodes: Sequence[dict[str, Any]], *, title: str, image_limit: int = 200) -> str:
    """The viewer's HTML over ``episodes``; games among the first ``image_limit`` get images."""
    index, details = [], []
    for entry, detail in _records(episodes, image_limit):
        index.append(entry)
        details.append(detail)
    payload = json.dumps({"index": index, "details": details}, ensure_ascii=False)
    # Inside <script> only "</" can end the element early; JSON allows "<\/" for it.
    payload = payload.replace("</", "<\\/")
    template = resources.files("gem_gymnasium.data").joinpath("viewer.html").read_text("utf-8")
    escaped_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    head, tail = template.split("__DATA__")  # split first: the data may contain any text
    return head.replace("__TITLE__", escaped_title) + payload + tail
