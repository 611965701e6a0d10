"""Metrics sinks: JSONL and TensorBoard always, Weights & Biases on request, a PNG curve at the end.

Only the main rank writes. Keys follow CleanRL's groups (``charts/...``, ``losses/...``) so runs
of different scripts overlay.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

__all__ = ["Tracker", "plot_learning_curve", "read_metrics"]

log = logging.getLogger("gem_gymnasium.trainers")


class Tracker:
    """Write one metrics dict per iteration to every sink.

    Args:
        run_dir: The run's folder (``metrics.jsonl`` and ``tb/`` go there).
        config: The run's configuration (stored with TensorBoard text and W&B).
        use_wb: Also log to Weights & Biases (skipped with a warning if it cannot start).
        wb_project: W&B project name.
        wb_run_name: W&B run name.
        enabled: ``False`` on non-main ranks: every method does nothing.
    """

    def __init__(
        self,
        run_dir: Path,
        config: dict[str, Any],
        *,
        use_wb: bool = False,
        wb_project: str = "gem",
        wb_run_name: str = "",
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.path = Path(run_dir) / "metrics.jsonl"
        self._tb = self._wb = None
        if not enabled:
            return
        from torch.utils.tensorboard import SummaryWriter

        self._tb = SummaryWriter(str(Path(run_dir) / "tb"))
        table = "\n".join(f"|{k}|{v}|" for k, v in config.items())
        self._tb.add_text("hyperparameters", f"|param|value|\n|-|-|\n{table}")
        if use_wb:
            self._wb = _init_wandb(wb_project, wb_run_name, config, run_dir)

    def log(self, metrics: dict[str, float], step: int) -> None:
        if not self.enabled:
            return
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        with self.path.open("a") as f:
            f.write(json.dumps({"iteration": step, **clean}) + "\n")
        for key, value in clean.items():
            if math.isfinite(value):
                self._tb.add_scalar(key, value, step)
        if self._wb is not None:
            self._wb.log(clean, step=step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None
        if self._wb is not None:
            self._wb.finish()
            self._wb = None


def _init_wandb(project: str, name: str, config: dict[str, Any], run_dir: Path) -> Any:
    """A W&B run, or ``None`` with a warning when wandb is missing or cannot start (no login, no
    network): the run goes on with JSONL and TensorBoard."""
    try:
        import wandb
    except ImportError:
        log.warning("--use-wb: wandb is not installed (pip install wandb); logging locally only")
        return None
    try:
        return wandb.init(project=project, name=name or None, config=config, dir=str(run_dir))
    except Exception as err:  # wandb raises many types (auth, network, usage)
        log.warning("--use-wb: W&B did not start (%s); logging locally only", err)
        return None


def read_metrics(path: Path) -> list[dict[str, float]]:
    """The rows of a ``metrics.jsonl`` file."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def plot_learning_curve(
    metrics_path: Path, png_path: Path, *, train_env: str = "", eval_env: str = ""
) -> Path:
    """Success and return against env steps into ``png_path`` (matplotlib, Agg backend).

    Held-out evaluations (``eval/...``) are the curve when the run has them, with the training
    batches' values faint behind; the levels before training (the warm start, ``eval/...`` at
    iteration 0) and of random moves (``eval_random/...``) are horizontal lines. ``train_env``
    and ``eval_env`` name the envs in the legend (their returns differ when the envs do).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(metrics_path)
    panels = (("success_rate", "success rate"), ("episodic_return", "episodic return"))
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels, strict=True):
        train = [(r["charts/env_steps"], r[f"charts/{key}"]) for r in rows if f"charts/{key}" in r]
        held_out = [(r["charts/env_steps"], r[f"eval/{key}"]) for r in rows if f"eval/{key}" in r]
        if train:
            ax.plot(
                *zip(*train, strict=True),
                color="tab:blue",
                alpha=0.3,
                lw=1,
                label=f"training batches {train_env}".strip(),
            )
        if held_out:
            ax.plot(
                *zip(*held_out, strict=True),
                color="tab:blue",
                marker="o",
                markersize=3,
                label=f"held-out evaluation {eval_env}".strip(),
            )
        start = next((r for r in rows if r["iteration"] == 0), {})
        for prefix, name, style in (
            ("eval", "before training", "--"),
            ("eval_random", "random moves", ":"),
        ):
            if f"{prefix}/{key}" in start:
                ax.axhline(
                    start[f"{prefix}/{key}"],
                    color="gray",
                    ls=style,
                    label=f"{name} ({start[f'{prefix}/{key}']:.2f})",
                )
        ax.set_xlabel("env steps (turns played)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    png_path = Path(png_path)
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
