"""Loading a task's items: the shipped offline sample, a Hugging Face hub dataset, or a local file.

A *source* is one of:

``"sample"``
    The small offline sample that ships in ``gem_gymnasium/data/`` (JSONL, read with the standard
    library). The default of every registered id, so everything runs without network.
``"hub"``
    The id's Hugging Face dataset (``hub_name``, ``split``, optionally ``hub_config``) through
    :func:`datasets.load_dataset`. When that fails (no network, a wrong name) it is an error that
    names what to download; only with ``fallback=True`` is the small sample used instead, with a
    warning. Without the ``datasets`` package it is always an error naming the extra.
a path
    A local ``.jsonl``, ``.json`` or ``.parquet`` file, or a directory (a dataset saved with
    ``save_to_disk``, or one file per split named ``<split>.jsonl|json|parquet``).
another string
    Taken as a hub dataset name (``"openai/gsm8k"``), loaded like ``"hub"``.
a sequence of mappings
    Items given directly (a list of dicts or a :class:`datasets.Dataset`).

Loaded data is cached per process, so many envs over one dataset share it (and snapshots never
copy it). ``datasets`` is imported only for hub names, parquet files and saved directories.
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gem_gymnasium.extras import MissingExtra, require

__all__ = ["DATA_DIR", "Records", "load_records"]

logger = logging.getLogger(__name__)

#: Where the offline samples live.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"

_FILE_SUFFIXES = (".jsonl", ".json", ".parquet")


@dataclass(frozen=True)
class Records:
    """Loaded items and where they came from.

    Attributes:
        items: Random-access items (each a mapping from field name to value).
        from_sample: Whether these are the shipped sample (whose field names are fixed).
        origin: A short description for messages, e.g. ``"sample math_sample.jsonl"``.
    """

    items: Sequence[Mapping[str, Any]]
    from_sample: bool
    origin: str


_cache: dict[tuple[Any, ...], Records] = {}
_cache_lock = threading.Lock()
_announced: set[str] = set()


def load_records(
    source: str | Sequence[Mapping[str, Any]],
    *,
    sample: str,
    hub_name: str | None = None,
    hub_config: str | None = None,
    split: str | None = None,
    fallback: bool = False,
    env_name: str = "task",
) -> Records:
    """Load items from ``source`` (see the module docstring).

    Args:
        source: ``"sample"``, ``"hub"``, a path, a hub dataset name, or the items themselves.
        sample: File name of the offline sample in ``gem_gymnasium/data/``.
        hub_name: The hub dataset that ``"hub"`` means (e.g. ``"axon-rl/GSM-8k"``).
        hub_config: Its configuration name, if any.
        split: The split to use (hub datasets, ``save_to_disk`` directories, split-named files).
        fallback: On a hub failure, use the sample with a warning instead of raising (opt-in:
            asking for the hub and silently training on 40 items is never what was meant).
        env_name: Names the env in messages.

    Raises:
        ValueError: Unknown or empty source, or a missing split.
        FileNotFoundError: A path that does not exist.
        RuntimeError: The hub dataset could not be loaded and ``fallback`` is off.
        gymnasium.error.DependencyNotInstalled: ``datasets`` is missing (the ``data`` extra).
    """
    if not isinstance(source, str):
        if not isinstance(source, Sequence) and not hasattr(source, "__getitem__"):
            raise TypeError(f"{env_name}: source must be a str or a sequence of mappings")
        return _check_nonempty(Records(source, False, "items given directly"), env_name)
    if source == "sample":
        return _cached(("sample", sample), lambda: _load_sample(sample))
    if source == "hub":
        if not hub_name:
            raise ValueError(
                f"{env_name}: source='hub' needs a hub dataset; this id has none. Pass a hub "
                "name or a local path as source."
            )
        return _load_hub_or_sample(hub_name, hub_config, split, sample, fallback, env_name)
    path = Path(source).expanduser()
    if path.exists():
        key = ("path", str(path.resolve()), split)
        return _check_nonempty(_cached(key, lambda: _load_path(path, split)), env_name)
    if source.endswith(_FILE_SUFFIXES) or source.startswith((".", "/", "~")):
        raise FileNotFoundError(f"{env_name}: no such data file or directory: {source!r}")
    return _load_hub_or_sample(source, hub_config, split, sample, fallback, env_name)


def announce_sample(env_name: str, sample: str, hub_name: str | None, size: int) -> None:
    """Say once per process that a hub-backed id runs on its offline sample."""
    if not hub_name or env_name in _announced:
        return
    _announced.add(env_name)
    logger.warning(
        "%s: using the %d-item offline sample %s; pass source='hub' to load %s",
        env_name,
        size,
        sample,
        hub_name,
    )


# --- loaders ----------------------------------------------------------------------------------


def _cached(key: tuple[Any, ...], load: Any) -> Records:
    with _cache_lock:
        if key not in _cache:
            _cache[key] = load()
        return _cache[key]


def _check_nonempty(records: Records, env_name: str) -> Records:
    if len(records.items) == 0:
        raise ValueError(f"{env_name}: the data from {records.origin} has no items")
    return records


def _load_sample(name: str) -> Records:
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"offline sample {name!r} is missing from {DATA_DIR}")
    return Records(tuple(_read_jsonl(path)), True, f"sample {name}")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _read_json(path: Path, split: str | None) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, Mapping):  # {"train": [...], ...} or {"data": [...]}
        key = split if split in data else ("data" if "data" in data else None)
        if key is None:
            raise ValueError(f"{path}: pick a split with split=..., one of {sorted(data)}")
        data = data[key]
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of objects")
    return data


def _load_path(path: Path, split: str | None) -> Records:
    if path.is_dir():
        if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            datasets = _import_datasets()
            loaded = datasets.load_from_disk(str(path))
            return Records(_pick_split(loaded, split, str(path)), False, f"directory {path}")
        if split is None:
            raise ValueError(f"{path} is a directory: pass split=... to pick <split>.jsonl etc.")
        files = [path / f"{split}{suffix}" for suffix in _FILE_SUFFIXES]
        found = [f for f in files if f.exists()]
        if not found:
            raise FileNotFoundError(f"no {split}.jsonl/.json/.parquet in {path}")
        path = found[0]
    if path.suffix == ".jsonl":
        return Records(tuple(_read_jsonl(path)), False, f"file {path.name}")
    if path.suffix == ".json":
        return Records(tuple(_read_json(path, split)), False, f"file {path.name}")
    if path.suffix == ".parquet":
        datasets = _import_datasets()
        loaded = datasets.load_dataset("parquet", data_files=str(path), split="train")
        return Records(loaded, False, f"file {path.name}")
    raise ValueError(f"{path}: unsupported data file; use .jsonl, .json or .parquet")


def _load_hub_or_sample(
    name: str,
    config: str | None,
    split: str | None,
    sample: str,
    fallback: bool,
    env_name: str,
) -> Records:
    key = ("hub", name, config, split)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    try:
        records = Records(_load_hub(name, config, split), False, f"hub {name}")
    except MissingExtra:
        raise  # a missing package is not a network failure: the sample would hide it
    except Exception as error:
        what = (
            f"{name}"
            + (f" (config {config})" if config else "")
            + (f", split {split}" if split else "")
        )
        if not fallback:
            raise RuntimeError(
                f"{env_name}: could not load the Hugging Face dataset {what}: "
                f"{type(error).__name__}: {str(error)[:200]}. Download it on a machine with "
                f"network (datasets.load_dataset({name!r}) fills the local cache) or pass a "
                "local file as source (or fallback=True to use the offline sample)."
            ) from error
        warnings.warn(
            f"{env_name}: could not load {what} ({type(error).__name__}); using the offline "
            f"sample {sample} instead",
            stacklevel=4,
        )
        return load_records("sample", sample=sample)
    with _cache_lock:
        _cache[key] = records
    return _check_nonempty(records, env_name)


def _import_datasets() -> Any:
    return require("datasets", "loading hub datasets, parquet files or saved datasets")


def _load_hub(name: str, config: str | None, split: str | None) -> Any:
    datasets = _import_datasets()
    if split is not None:
        return datasets.load_dataset(name, config, split=split)
    return _pick_split(datasets.load_dataset(name, config), None, name)


def _pick_split(loaded: Any, split: str | None, what: str) -> Any:
    if not hasattr(loaded, "keys"):  # already one split
        return loaded
    names = list(loaded.keys())
    if split is None:
        if len(names) != 1:
            raise ValueError(f"{what} has splits {names}; pass split=... to pick one")
        split = names[0]
    if split not in names:
        raise ValueError(f"{what} has no split {split!r}; it has {names}")
    return loaded[split]
