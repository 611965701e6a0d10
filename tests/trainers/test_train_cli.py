"""``gem-gym train`` accepts GEM's OAT recipe; ``gem-gym eval`` prints its table; FSDP on 2 ranks."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gem_gymnasium.cli import build_parser, main
from gem_gymnasium.trainers.cli import config_from_args
from gem_gymnasium.trainers.tracking import read_metrics

# GEM's recipe, verbatim except the model.
RECIPE = """
--env_id game:GuessTheNumber-v0 --wrappers concat --gamma 0.9 --norm_adv --gpus 8
--gradient-checkpointing --num_samples 1 --rollout_batch_size 128 --num_envs 2
--rollout_batch_size_per_device 16 --pi_buffer_maxlen_per_device 16 --pretrain {model}
--enable_prefix_caching --collocate --vllm_sleep --vllm_gpu_ratio 0.45 --rnd-seed --learning_rate 0.000001
--lr_scheduler constant --lr_warmup_ratio 0 --num_ppo_epochs 2 --train_batch_size 128
--train_batch_size_per_device 1 --beta 0 --max_model_len 12800 --generate_max_length 4096 --temperature 1.0
--top_p 1 --eval_steps -1 --save_steps -1 --eval_temperature 0.6 --eval_top_p 0.95
--eval_generate_max_length 4096 --max_train 65000 --max_save_num 30 --use-wb
--wb-run-name oat-qwen3-1.7b-base-game:GuessTheNumber-v0 --wb_project gem --debug
"""


def test_recipe_parses_with_the_same_meaning():
    args = build_parser().parse_args(["train", *shlex.split(RECIPE.format(model="m"))])
    cfg, _ = config_from_args(args, cuda=True)
    assert cfg.env_id == "game:GuessTheNumber-v0" and cfg.wrappers == "concat"
    assert cfg.gamma == 0.9 and cfg.norm_return and cfg.gpus == 8
    assert cfg.gradient_checkpointing and cfg.rnd_seed and cfg.use_wb and cfg.debug
    assert cfg.rollout_batch_size_per_device == 16 and cfg.train_batch_size_per_device == 1
    assert cfg.learning_rate == 1e-6 and cfg.num_ppo_epochs == 2 and cfg.beta == 0
    assert cfg.wb_run_name == "oat-qwen3-1.7b-base-game:GuessTheNumber-v0"
    assert cfg.max_train == 65000 and cfg.vllm_sleep and cfg.enable_prefix_caching
    # Both spellings, and the negative form of the alias.
    args = build_parser().parse_args(
        ["train", "--num-envs", "3", "--no-norm-adv", "--learning-rate", "2e-5"]
    )
    cfg, _ = config_from_args(args)
    assert (cfg.num_envs, cfg.norm_return, cfg.learning_rate) == (3, False, 2e-5)


def test_parser_does_not_import_torch():
    code = "import sys, gem_gymnasium.cli as c; c.build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_recipe_runs_end_to_end(tiny_model, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    # CPU-sized (later flags win): 4 turns per iteration, 2 iterations, short responses.
    overrides = "--rollout_batch_size_per_device 4 --max_train 8 --generate_max_length 16"
    argv = [
        *shlex.split(RECIPE.format(model=tiny_model)),
        *shlex.split(overrides),
        *("--output_dir", str(tmp_path), "--run_name", "recipe"),
    ]
    assert main(["train", *argv]) == 0
    run = tmp_path / "recipe"
    rows = read_metrics(run / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2]
    assert (run / "learning_curve.png").exists()
    assert (run / "checkpoints" / "iter_000002" / "config.json").exists()
    assert json.loads((run / "config.json").read_text())["gamma"] == 0.9
    assert "checkpoint:" in capsys.readouterr().out


def test_eval_prints_table_and_writes_trajectories(tiny_model, tmp_path, capsys):
    out = tmp_path / "traj.jsonl"
    code = main(
        [
            "eval",
            "game:GuessTheNumber-v0-easy",
            "--model",
            tiny_model,
            "--episodes",
            "3",
            "--num-envs",
            "2",
            "--max-new-tokens",
            "16",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "gem/GuessTheNumber" in printed or "GuessTheNumber" in printed
    assert "success" in printed and "format errors" in printed
    episodes = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["episode"] for e in episodes] == [0, 1, 2]
    for e in episodes:
        assert e["turns"] and {"observation", "response", "reward"} <= set(e["turns"][0])
        assert e["return"] == pytest.approx(sum(t["reward"] for t in e["turns"]))


def test_fsdp_two_ranks_on_cpu(tiny_model, tmp_path):
    """torchrun + FSDP2 over gloo: two ranks, sharded rollouts, one checkpoint."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path.cwd())}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "gem_gymnasium.cli",
        "train",
        "--pretrain",
        tiny_model,
        "--env_id",
        "game:GuessTheNumber-v0-easy",
        "--wrappers",
        "concat",
        "--num_envs",
        "2",
        "--rollout_batch_size",
        "8",
        "--train_batch_size",
        "8",
        "--train_batch_size_per_device",
        "2",
        "--micro_batch_tokens",
        "400",
        "--num_iterations",
        "2",
        "--save_steps",
        "1",
        "--generate_max_length",
        "12",
        "--learning_rate",
        "1e-3",
        "--output_dir",
        str(tmp_path),
        "--run_name",
        "fsdp",
    ]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = read_metrics(tmp_path / "fsdp" / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2]
    assert rows[-1]["charts/global_step"] == 16  # 4 turns per rank and iteration, 2 ranks
    assert (tmp_path / "fsdp" / "checkpoints" / "iter_000002" / "rng_rank1.pt").exists()
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(tmp_path / "fsdp" / "checkpoints" / "iter_000002")


def test_defaults_without_pretrain_are_the_tiny_recipe_and_flags_win():
    from gem_gymnasium.trainers.config import TINY_MODEL_DEFAULTS

    cfg, profiles = config_from_args(build_parser().parse_args(["train"]))
    assert cfg.pretrain == "" and cfg.env_id == TINY_MODEL_DEFAULTS["env_id"]
    assert cfg.generate_max_length == TINY_MODEL_DEFAULTS["generate_max_length"]
    assert [name for name, _ in profiles] == ["tiny local model"]  # it sets every CPU size
    cfg, profiles = config_from_args(
        build_parser().parse_args(["train", "--generate_max_length", "64"])
    )
    assert cfg.generate_max_length == 64 and cfg.max_train == TINY_MODEL_DEFAULTS["max_train"]
    assert all("generate_max_length" not in values for _, values in profiles)
    # Another env: the default env's evaluation env does not follow it.
    cfg, _ = config_from_args(build_parser().parse_args(["train", "--env_id", "gem/Wordle-v0"]))
    assert cfg.env_id == "gem/Wordle-v0" and cfg.eval_env_id == ""


def test_pretrain_on_cpu_keeps_cpu_sizes_and_says_so():
    from gem_gymnasium.trainers.config import CPU_DEFAULTS, Config

    args = build_parser().parse_args(["train", "--pretrain", "some/model"])
    cfg, profiles = config_from_args(args)  # no CUDA: GEM's 4096-token sizes would take days
    assert cfg.generate_max_length == CPU_DEFAULTS["generate_max_length"] < 4096
    assert cfg.max_train == CPU_DEFAULTS["max_train"] and cfg.num_iterations == 0
    assert cfg.env_id == Config.env_id  # the tiny recipe's env is not forced on a real model
    assert [name for name, _ in profiles] == ["CPU (no CUDA device)"]
    # On a GPU, GEM's recipe defaults stand.
    cfg, profiles = config_from_args(args, cuda=True)
    assert cfg.generate_max_length == Config.generate_max_length == 4096
    assert cfg.max_train == Config.max_train and profiles == []


def test_train_prints_the_defaults_it_used(monkeypatch, capsys):
    import gem_gymnasium.trainers.ppo as ppo

    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.setattr(ppo, "train", lambda cfg: {})
    assert main(["train", "--pretrain", "some/model", "--num_envs", "3"]) == 0
    printed = capsys.readouterr().out
    assert "defaults for the CPU (no CUDA device):" in printed
    assert "generate_max_length=512" in printed and "num_envs" not in printed


def test_grpo_needs_groups():
    from gem_gymnasium.trainers.config import Config

    with pytest.raises(ValueError, match="num_samples 2 or more"):
        Config(advantage="grpo")  # one episode per group: every advantage would be 0
    assert Config(advantage="grpo", num_samples=2).num_samples == 2
    out = subprocess.run(
        [sys.executable, "-m", "gem_gymnasium.cli", "train", "--advantage", "grpo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "--num_samples 2 or more" in out.stderr


def test_eval_piped_prints_plain_full_ids_and_writes_under_runs(tiny_model, tmp_path):
    env_ids = ["game:GuessTheNumber-v0-random", "gem/GuessTheNumber-Hard-v0"]
    options = ["--model", tiny_model, "--episodes", "2", "--num-envs", "2", "--max-new-tokens", "8"]
    result = subprocess.run(
        [sys.executable, "-m", "gem_gymnasium.cli", "eval", *env_ids, *options],
        cwd=tmp_path,  # stdout is a pipe, as in `gem-gym eval ... | tee log`
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "env",
        "episodes",
        "success",
        "mean",
        "return",
        "turns",
        "format",
        "errors",
    ]
    for env_id, line in zip(env_ids, lines[1:3], strict=True):
        assert line.split()[0] == env_id and len(line.split()) == 6  # whole id, one line
    assert not any(ch in result.stdout for ch in "│┃━─")  # no box drawing in a pipe
    assert "deprecated" not in result.stderr.lower() and "Loading weights" not in result.stderr
    # The trajectories go to a fresh run folder under runs/ (git-ignored), not the current folder.
    written = list(tmp_path.glob("runs/eval-*/trajectories.jsonl"))
    assert len(written) == 1 and lines[-1] == f"trajectories: {written[0].relative_to(tmp_path)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]
    assert len(written[0].read_text().splitlines()) == 4


def test_eval_of_a_checkpoint_uses_its_runs_pipeline(tiny_model, tmp_path):
    import shutil

    from gem_gymnasium.trainers.cli import resolve_eval_options

    run = tmp_path / "run"
    checkpoint = run / "checkpoints" / "iter_000003"
    shutil.copytree(tiny_model, checkpoint)
    (run / "config.json").write_text(
        json.dumps(
            {
                "env_id": "gem/GuessTheNumber-Easy-WinOnly-v0",
                "eval_env_id": "gem/GuessTheNumber-Easy-v0",
                "wrappers": "",
                "prompt_template": "no",
                "apply_chat_template": False,
                "eval_temperature": 0.3,
                "eval_top_p": 1.0,
                "eval_generate_max_length": 16,
                "max_model_len": 1024,
            }
        )
    )
    args = build_parser().parse_args(["eval", "--model", str(checkpoint), "--top_p", "0.5"])
    options = resolve_eval_options(args)
    assert options["wrappers"] == "" and options["prompt_template"] == "no"
    assert options["temperature"] == 0.3 and options["top_p"] == 0.5  # a flag wins
    out = tmp_path / "traj.jsonl"
    argv = ["eval", "--model", str(checkpoint), "--episodes", "2", "--output", str(out)]
    assert main(argv) == 0
    episodes = [json.loads(line) for line in out.read_text().splitlines()]
    assert {e["env_id"] for e in episodes} == {"gem/GuessTheNumber-Easy-v0"}  # the run's eval env
    # No history wrapper: a later observation does not repeat the rules.
    later = [t["observation"] for e in episodes for t in e["turns"][1:]]
    assert all("You are playing" not in o for o in later)
    # A plain model folder keeps GEM's eval settings.
    plain = resolve_eval_options(build_parser().parse_args(["eval", "--model", tiny_model]))
    assert plain["wrappers"] == "concat" and plain["max_new_tokens"] == 4096


def test_eval_random_baseline_needs_no_model(tmp_path, capsys):
    out = tmp_path / "random.jsonl"
    argv = ["eval", "gem/GuessTheNumber-Easy-v0", "--random", "--episodes", "100"]
    assert main([*argv, "--output", str(out)]) == 0
    episodes = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["seed"] for e in episodes] == list(range(100))
    assert all(t["info"]["format_error"] is False for e in episodes for t in e["turns"])
    # Random guessing wins about 4 in 10: moves drawn from the env's own seed would win more.
    assert 25 < sum(e["success"] for e in episodes) < 55
    again = tmp_path / "again.jsonl"
    assert main([*argv, "--output", str(again)]) == 0  # the same episodes, the same moves
    assert [json.loads(line)["turns"] for line in again.read_text().splitlines()] == [
        e["turns"] for e in episodes
    ]
