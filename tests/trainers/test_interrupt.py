"""Ctrl-C or SIGTERM during ``gem-gym train``: the run saves a checkpoint and its curve, says how
to resume, and exits with the signal's code; the saved checkpoint resumes."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gem_gymnasium.trainers.tracking import read_metrics


def _train_command(tiny_model: str, tmp_path: Path, run_name: str, iterations: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gem_gymnasium.cli",
        "train",
        *("--pretrain", tiny_model, "--env_id", "game:GuessTheNumber-v0-easy"),
        *("--wrappers", "concat", "--num_envs", "2", "--rollout_batch_size", "4"),
        *("--train_batch_size", "4", "--train_batch_size_per_device", "2"),
        *("--generate_max_length", "12", "--num_iterations", str(iterations)),
        *("--output_dir", str(tmp_path), "--run_name", run_name),
    ]


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path.cwd())}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(key, None)
    return env


def _wait_for_iteration(metrics: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if metrics.exists() and any(r["iteration"] >= 1 for r in read_metrics(metrics)):
            return
        time.sleep(0.2)
    proc.kill()
    pytest.fail("training did not finish an iteration in time")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_checkpoint_and_curve_then_resumes(tiny_model, tmp_path, signum, code):
    command = _train_command(tiny_model, tmp_path, "run", iterations=10_000)
    proc = subprocess.Popen(
        command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    run = tmp_path / "run"
    _wait_for_iteration(run / "metrics.jsonl", proc)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == code, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    # Piped: one plain line per iteration (no bar, no wrapping, no time or source columns).
    first = next(line for line in out.splitlines() if line.startswith("iter 1/"))
    assert "tok/s" in first and "ppo.py" not in out
    assert "Writing model shards" not in err + out and "Loading weights" not in err + out
    [checkpoint] = sorted((run / "checkpoints").iterdir())
    done = int(checkpoint.name.removeprefix("iter_"))
    assert (run / "learning_curve.png").exists()
    assert [r["iteration"] for r in read_metrics(run / "metrics.jsonl")][-1] == done
    resume_line = out.strip().splitlines()[-1]
    assert "--resume" in resume_line and str(checkpoint) in resume_line
    # The printed command continues the run; here, for one more iteration only.
    resume = shlex.split(resume_line)[1:]
    at = resume.index("--num_iterations")
    resume[at + 1] = str(done + 1)
    again = subprocess.run(
        [sys.executable, "-m", "gem_gymnasium.cli", *resume],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert [r["iteration"] for r in read_metrics(run / "metrics.jsonl")][-1] == done + 1


def test_second_ctrl_c_exits_at_once(tiny_model, tmp_path):
    command = _train_command(tiny_model, tmp_path, "run", iterations=10_000)
    proc = subprocess.Popen(
        command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _wait_for_iteration(tmp_path / "run" / "metrics.jsonl", proc)
    proc.send_signal(signal.SIGINT)
    err = []
    for line in proc.stderr:  # the first one is being handled: the run is finishing its work
        err.append(line)
        if "finishing this iteration" in line:
            proc.send_signal(signal.SIGINT)
            break
    err.append(proc.communicate(timeout=60)[1])
    err = "".join(err)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "exiting now" in err  # it did not wait to finish the iteration and save
    assert not (tmp_path / "run" / "learning_curve.png").exists()
