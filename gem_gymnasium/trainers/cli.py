"""``gem-gym train`` and ``gem-gym eval``.

Every option is accepted as ``--foo_bar`` and ``--foo-bar`` (GEM's OAT recipe mixes both), and
``--norm_adv`` means ``--norm_return``. Nothing heavy is imported here: torch loads when a
command runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gem_gymnasium.commands import CommandError, check_env_ids, check_wrappers
from gem_gymnasium.trainers.config import (
    CPU_DEFAULTS,
    ENV_BOUND_DEFAULTS,
    TINY_MODEL_DEFAULTS,
    Config,
    config_fields,
    default_profiles,
)

__all__ = ["add_parser", "config_from_args", "run_eval", "run_train"]

#: Extra spellings GEM's recipes use for a field.
ALIASES: dict[str, tuple[str, ...]] = {"norm_return": ("norm_adv",)}


def _spellings(*names: str) -> list[str]:
    flags: list[str] = []
    for name in names:
        for flag in (f"--{name}", f"--{name.replace('_', '-')}"):
            if flag not in flags:
                flags.append(flag)
    return flags


def _add(parser: argparse.ArgumentParser, name: str, *aliases: str, **kwargs: Any) -> None:
    parser.add_argument(*_spellings(name, *aliases), dest=name, **kwargs)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` and ``eval``."""
    train = subparsers.add_parser(
        "train",
        help="train an LLM agent with PPO on an environment",
        description=(
            "PPO for multi-turn LLM agents (GEM's OAT recipe; same flags). Options left out take "
            "CPU-sized values when no CUDA device is visible (shown as 'cpu') and the tiny local "
            "model's recipe without --pretrain (shown as 'tiny'); the run prints which it used."
        ),
    )
    # Options default to None so that config_from_args can tell what the user set.
    for f in config_fields():
        default = f"default: {f.default!r}"
        if f.name in CPU_DEFAULTS:
            default += f"; cpu: {CPU_DEFAULTS[f.name]!r}"
        if f.name in TINY_MODEL_DEFAULTS:
            default += f"; tiny: {TINY_MODEL_DEFAULTS[f.name]!r}"
        help_text = f"{f.metadata.get('help', '')} ({default})"
        if f.type in ("bool", bool):
            action: dict[str, Any] = {"action": argparse.BooleanOptionalAction}
        else:
            action = {"type": {"int": int, "float": float, "str": str}[str(f.type)]}
        _add(train, f.name, *ALIASES.get(f.name, ()), default=None, help=help_text, **action)
    train.set_defaults(func=run_train)

    ev = subparsers.add_parser(
        "eval",
        help="evaluate a model on environments and print a results table",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ev.add_argument("env_ids_positional", nargs="*", metavar="ENV_ID", help="environment ids")
    _add(ev, "env_ids", "env_id", default="", help="comma-separated environment ids")
    _add(ev, "model", "pretrain", default="", help="hub id or local path (empty: tiny model)")
    _add(ev, "episodes", "eval_n", type=int, default=32, help="episodes per environment")
    _add(ev, "engine", default="auto", help="hf, vllm or auto (ignored with --api-base)")
    _add(ev, "api_base", default="", help="OpenAI-compatible endpoint, e.g. http://host:8000/v1")
    _add(ev, "api_key", default=os.environ.get("OPENAI_API_KEY", ""), help="API key")
    _add(ev, "random", action="store_true", help="play the env's random moves (a baseline)")
    # The prompt pipeline and sampling default to the training run's when --model is one of its
    # checkpoints (<run>/checkpoints/iter_N), else to EVAL_DEFAULTS; flags win.
    for name, *aliases in EVAL_OPTIONS:
        kind = EVAL_DEFAULTS[name]
        action: dict[str, Any] = (
            {"action": argparse.BooleanOptionalAction}
            if isinstance(kind, bool)
            else {"type": type(kind)}
        )
        _add(
            ev, name, *aliases, default=None, help=f"(default: the run's, else {kind!r})", **action
        )
    _add(ev, "num_envs", type=int, default=8, help="episodes played at once")
    _add(
        ev,
        "seed",
        type=int,
        default=0,
        help="episode k uses seed + k (training never uses seeds below 2**32)",
    )
    _add(
        ev,
        "output",
        default="",
        help="trajectories JSONL (default: <output_dir>/eval-<time>/trajectories.jsonl)",
    )
    _add(ev, "output_dir", default=Config.output_dir, help="where the default output goes")
    _add(ev, "vllm_gpu_ratio", type=float, default=0.9, help="GPU memory fraction for vLLM")
    ev.set_defaults(func=run_eval)


#: ``gem-gym eval`` options that follow the training run (name, then GEM's alias if any).
EVAL_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("wrappers", "eval_wrappers"),
    ("prompt_template",),
    ("apply_chat_template",),
    ("temperature", "eval_temperature"),
    ("top_p", "eval_top_p"),
    ("max_new_tokens", "eval_generate_max_length"),
    ("max_model_len",),
)
#: Their values for a model that is not a checkpoint of a training run (GEM's eval settings).
EVAL_DEFAULTS: dict[str, Any] = {
    "wrappers": "concat",
    "prompt_template": "qwen3_game",
    "apply_chat_template": False,
    "temperature": 0.6,
    "top_p": 0.95,
    "max_new_tokens": 4096,
    "max_model_len": 12800,
}


def training_run_config(model: str) -> dict[str, Any] | None:
    """The ``config.json`` of the training run that ``model`` is a checkpoint of, if it is one."""
    path = Path(model).parent.parent / "config.json"
    if not model or Path(model).parent.name != "checkpoints" or not path.exists():
        return None
    return json.loads(path.read_text())


def resolve_eval_options(args: argparse.Namespace) -> dict[str, Any]:
    """The eval pipeline: flags, else the training run's settings, else :data:`EVAL_DEFAULTS`."""
    run = training_run_config(args.model) or {}
    from_run = {
        "wrappers": run.get("wrappers"),
        "prompt_template": run.get("prompt_template"),
        "apply_chat_template": run.get("apply_chat_template"),
        "temperature": run.get("eval_temperature"),
        "top_p": run.get("eval_top_p"),
        "max_new_tokens": run.get("eval_generate_max_length"),
        "max_model_len": run.get("max_model_len"),
    }
    chosen = {}
    for name, default in EVAL_DEFAULTS.items():
        given = getattr(args, name)
        chosen[name] = given if given is not None else from_run[name] if run else default
    return chosen


def config_from_args(
    args: argparse.Namespace, *, cuda: bool = False
) -> tuple[Config, list[tuple[str, dict[str, Any]]]]:
    """The :class:`Config` of parsed ``train`` arguments, and the default sets that filled in
    what the command line left out (see :func:`~gem_gymnasium.trainers.config.default_profiles`).

    Options given on the command line win over every default set.
    """
    given = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Config)
        if getattr(args, f.name, None) is not None
    }
    profiles = default_profiles(pretrain=bool(given.get("pretrain")), cuda=cuda)
    # A default env's own settings (its evaluation env) do not carry over to another env.
    skip = set(given) | (ENV_BOUND_DEFAULTS if "env_id" in given else set())
    used = []
    for i, (name, values) in enumerate(profiles):
        later = {k for _, other in profiles[i + 1 :] for k in other}  # a later set wins these
        used.append((name, {k: v for k, v in values.items() if k not in skip | later}))
    merged = {k: v for _, values in used for k, v in values.items()}
    return Config(**{**merged, **given}), [(name, values) for name, values in used if values]


def _visible_gpus() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def run_train(args: argparse.Namespace) -> int:
    try:
        cfg, profiles = config_from_args(args, cuda=_visible_gpus() > 0)
    except ValueError as error:  # options that contradict each other
        raise CommandError(str(error)) from None
    check_env_ids([cfg.env_id, *([cfg.eval_env_id] if cfg.eval_env_id else [])])
    check_wrappers(cfg.wrappers)
    if int(os.environ.get("RANK", "0")) == 0:
        for name, values in profiles:
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            print(f"defaults for the {name}: {shown} (flags given on the command line win)")
    under_torchrun = "WORLD_SIZE" in os.environ
    if cfg.gpus > 1 and not under_torchrun:
        available = _visible_gpus()
        if available >= 2:
            nproc = min(cfg.gpus, available)
            command = [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                f"--nproc_per_node={nproc}",
                "-m",
                "gem_gymnasium.cli",
                *sys.argv[1:],
            ]
            return subprocess.call(command)
        logging.getLogger(__name__).warning(
            "--gpus %d: %d CUDA device(s) visible; training in one process", cfg.gpus, available
        )
    from gem_gymnasium.trainers.ppo import train  # first: a missing torch names its extra

    if not sys.stdout.isatty():  # no loading or saving bars in logs and pipes
        importlib.import_module("transformers.utils.logging").disable_progress_bar()
    result = train(cfg)
    main_rank = int(os.environ.get("RANK", "0")) == 0
    if result.get("checkpoint") is not None and main_rank:
        print(f"checkpoint: {result['checkpoint']}")
        print(f"learning curve: {result['curve']}")
    if result.get("interrupted"):
        if main_rank:
            argv = [a for a in sys.argv[1:] if a]
            print(
                "stopped before the last iteration; continue with:\n  gem-gym "
                + shlex.join([*_without_resume(argv), "--resume", str(result["checkpoint"])])
            )
        return int(result["interrupted"])
    return 0


def _without_resume(argv: list[str]) -> list[str]:
    """``argv`` without any ``--resume`` option (it is added again with the new checkpoint)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--resume",):
            skip = True
        elif not arg.startswith("--resume="):
            out.append(arg)
    return out


def _default_output(output_dir: str) -> Path:
    """A fresh run folder for one evaluation (``runs/`` is git-ignored)."""
    return Path(output_dir) / f"eval-{time.strftime('%Y%m%d-%H%M%S')}" / "trajectories.jsonl"


def run_eval(args: argparse.Namespace) -> int:
    env_ids = [*args.env_ids_positional, *[e for e in args.env_ids.split(",") if e.strip()]]
    run = training_run_config(args.model)
    if not env_ids and run:  # the env the run was evaluated on
        env_ids = [run.get("eval_env_id") or run["env_id"]]
    check_env_ids(env_ids or [Config.env_id])  # fail before loading anything heavy
    args = argparse.Namespace(**{**vars(args), **resolve_eval_options(args)})
    check_wrappers(args.wrappers)

    from rich.console import Console
    from rich.progress import Progress

    from gem_gymnasium.trainers.engines import SamplingParams
    from gem_gymnasium.trainers.envs import make_prompt_fn
    from gem_gymnasium.trainers.evaluation import (
        ApiPolicy,
        EnginePolicy,
        evaluate_env,
        format_results,
        format_results_text,
        write_trajectories,
    )

    env_ids = env_ids or [Config.env_id]
    sampling = SamplingParams(args.max_new_tokens, args.temperature, args.top_p)
    tokenizer = engine = policy = None
    if args.random:
        pass  # evaluate_env plays the env's own random moves
    elif args.api_base:
        prompt_fn = make_prompt_fn(args.prompt_template)
        policy = ApiPolicy(
            args.api_base, args.model, prompt_fn, sampling, api_key=args.api_key or None
        )
    else:
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        from gem_gymnasium.trainers.engines import make_engine
        from gem_gymnasium.trainers.modeling import load_lm

        if not sys.stdout.isatty():  # no weight-loading bars in logs and pipes
            hf_logging.disable_progress_bar()

        model = args.model
        if not model:
            from gem_gymnasium.trainers.tiny import default_model

            model = str(
                default_model(
                    env_ids[0],
                    wrappers=args.wrappers,
                    template=args.prompt_template,
                    apply_chat_template=args.apply_chat_template,
                )
            )
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
        tokenizer = AutoTokenizer.from_pretrained(model)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        cfg = Config(
            pretrain=model,
            max_model_len=args.max_model_len,
            generate_batch_size=max(args.num_envs, 1),
            vllm_gpu_ratio=args.vllm_gpu_ratio,
            seed=args.seed,
        )
        lm = load_lm(model, dtype=dtype, device=device).eval()
        engine = make_engine(args.engine, lm, tokenizer, cfg)
        prompt_fn = make_prompt_fn(args.prompt_template, tokenizer, args.apply_chat_template)
        policy = EnginePolicy(
            engine, tokenizer, prompt_fn, sampling, max_model_len=args.max_model_len
        )

    results = []
    console = Console()
    # Piped or redirected output gets no live bar and a plain table (nothing wrapped or cut).
    with Progress(console=console, disable=not console.is_terminal) as progress:
        for env_id in env_ids:
            task = progress.add_task(env_id, total=args.episodes)
            results.append(
                evaluate_env(
                    policy,
                    env_id,
                    args.episodes,
                    wrappers=args.wrappers,
                    tokenizer=tokenizer,
                    num_envs=args.num_envs,
                    seed=args.seed,
                    on_episode=lambda task=task: progress.advance(task),
                )
            )
    if engine is not None:
        engine.close()
    if console.is_terminal:
        console.print(format_results(results))
    else:
        print(format_results_text(results))
    path = write_trajectories(
        results, Path(args.output) if args.output else _default_output(args.output_dir)
    )
    print(f"trajectories: {path}")
    return 0
