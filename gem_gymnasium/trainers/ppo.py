"""PPO for multi-turn LLM agents (GEM's OAT recipe) in one file, top to bottom.

Each iteration: play episodes in a vector env, one generated response per turn (rollout); turn
returns -> advantages (``advantages.py``, picked by name); recompute log-probs, then PPO epochs in
micro-batches (update); write metrics (log). Generation goes through an engine
(``engines/``: Hugging Face in-process or vLLM) that this file never asks the kind of.

    gem-gym train --env_id game:GuessTheNumber-v0 --wrappers concat --gamma 0.9 --norm_adv

Scale out with ``torchrun --nproc_per_node N -m gem_gymnasium.cli train ...`` (or ``--gpus N``):
each rank plays its share of the rollout, FSDP shards the learner, and return statistics are
those of the global batch.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from gem_gymnasium.extras import optional_imports

with optional_imports("the PPO trainer", "train"):
    import torch

from gem_gymnasium.trainers.advantages import TurnBatch, get_estimator
from gem_gymnasium.trainers.checkpoint import (
    check_checkpoint,
    latest_checkpoint,
    load_checkpoint,
    load_value_head,
    rotate_checkpoints,
    save_checkpoint,
)
from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.distributed import Dist, init_distributed, shard
from gem_gymnasium.trainers.engines import Engine, SamplingParams, make_engine
from gem_gymnasium.trainers.envs import make_envs, make_prompt_fn
from gem_gymnasium.trainers.modeling import (
    Agent,
    Packed,
    load_lm,
    pack,
    sequence_logprobs,
    state_values,
)
from gem_gymnasium.trainers.prompts import INVALID_ACTION
from gem_gymnasium.trainers.signals import GracefulStop
from gem_gymnasium.trainers.tracking import Tracker, plot_learning_curve
from gem_gymnasium.wrappers import SampledResponse

__all__ = [
    "HELD_OUT_SEEDS",
    "Config",
    "Episode",
    "Turn",
    "collect_episodes",
    "ppo_loss",
    "train",
    "training_seed",
]

log = logging.getLogger("gem_gymnasium.trainers")


# ============================================================================================
# Rollout: episodes of turns
# ============================================================================================


@dataclass
class Turn:
    """One policy turn: the prompt it saw, what it generated, and what the env paid."""

    prompt_ids: list[int]
    response_ids: list[int]
    logprobs: list[float]
    reward: float = 0.0
    invalid: bool = False  # cut off or prompt too long: the env got INVALID_ACTION
    format_error: bool = False


@dataclass
class Episode:
    turns: list[Turn]
    group: int  # episodes of one group started from the same state (GRPO)
    success: bool = False

    @property
    def total_reward(self) -> float:
        return float(sum(t.reward for t in self.turns))


#: Training episodes take seeds from here up; seeds below it are held out for evaluation
#: (``gem-gym eval`` and the evaluations during training reset episode ``k`` with seed ``k``).
HELD_OUT_SEEDS = 2**32


def training_seed(run_seed: int, batch: int) -> int:
    """The seed of the first episode group of rollout ``batch`` (one iteration on one rank);
    group ``g`` of that rollout uses ``training_seed(...) + g``."""
    return HELD_OUT_SEEDS + (run_seed * 2**24 + batch) * 2**20


@dataclass
class _Slot:
    """A sub-env's running episode."""

    observation: str
    group: int
    prompt_ids: Sequence[int] | None = None  # from a token-exact chat wrapper (info["prompt_ids"])
    turns: list[Turn] = field(default_factory=list)


def collect_episodes(
    envs: Sequence[gym.Env],
    engine: Engine,
    tokenizer: Any,
    prompt_fn: Callable[[str], str],
    sampling: SamplingParams,
    *,
    min_turns: int,
    max_model_len: int,
    group_size: int = 1,
    seed: int = 0,
) -> tuple[list[Episode], dict[str, float]]:
    """Start episodes until ``min_turns`` trainable turns are played, then finish every running
    one; the episodes and stats.

    Every episode that starts is played to its end and returned: cutting play at a turn budget
    would drop the long episodes still running, biasing both the logged success and the gradient
    towards short episodes. Episodes start in groups of ``group_size`` (GRPO); group ``g`` resets
    every member with seed ``seed + g``, so the members share one start state.

    Every step generates one response per running episode. A prompt of ``max_model_len`` tokens
    or more is not generated and a response cut at ``sampling.max_new_tokens`` is not sent: the
    env gets :data:`INVALID_ACTION` (a format error) and the turn is flagged ``invalid``.

    Behind a token-exact chat wrapper (``concat_chat`` made with the trainer's tokenizer) the
    prompt is the env's ``info["prompt_ids"]``: the last prompt, the ids sampled for it and the
    new observation's tokens, never a re-tokenized history. The env is stepped with a
    :class:`~gem_gymnasium.wrappers.SampledResponse`, so its history keeps the sampled ids.
    """
    slots: list[_Slot | None] = [None] * len(envs)
    waiting: deque[int] = deque()  # group ids of members not yet started
    groups_started = trainable = 0
    episodes: list[Episode] = []
    stats = {"gen_time": 0.0, "gen_tokens": 0.0, "steps": 0.0}
    while True:
        for i, env in enumerate(envs):
            if slots[i] is not None:
                continue
            if not waiting and trainable < min_turns:
                waiting.extend([groups_started] * group_size)
                groups_started += 1
            if waiting:
                group = waiting.popleft()
                observation, info = env.reset(seed=seed + group)
                slots[i] = _Slot(observation, group, info.get("prompt_ids"))
        active = [i for i, slot in enumerate(slots) if slot is not None]
        if not active:
            return episodes, stats
        if stats["steps"] > 100 * max(min_turns, len(envs)) and not trainable:
            raise RuntimeError(
                "no trainable turns: every prompt is longer than max_model_len "
                f"({max_model_len}); raise --max_model_len or shorten the observations"
            )
        prompts = [
            list(slot.prompt_ids)
            if (slot := slots[i]).prompt_ids is not None
            else tokenizer(prompt_fn(slot.observation)).input_ids
            for i in active
        ]
        fits = [len(p) < max_model_len for p in prompts]
        start = time.perf_counter()
        generated = iter(
            engine.generate([p for p, f in zip(prompts, fits, strict=True) if f], sampling)
        )
        stats["gen_time"] += time.perf_counter() - start
        stats["steps"] += 1
        for i, prompt, fit in zip(active, prompts, fits, strict=True):
            gen = next(generated) if fit else None
            if gen is None or gen.truncated:
                ids = gen.response_ids if gen is not None else []
                turn = Turn(prompt, ids, gen.logprobs if gen else [], invalid=True)
                action = INVALID_ACTION
            else:
                turn = Turn(prompt, gen.response_ids, gen.logprobs)
                action = gen.text
                if slots[i].prompt_ids is not None:
                    action = SampledResponse(gen.text, gen.response_ids)
            stats["gen_tokens"] += len(turn.response_ids)
            trainable += bool(turn.response_ids)
            slot = slots[i]
            observation, reward, terminated, truncated, info = envs[i].step(action)
            turn.reward = float(reward)
            turn.format_error = turn.invalid or bool(info.get("format_error", False))
            slot.turns.append(turn)
            slot.observation, slot.prompt_ids = observation, info.get("prompt_ids")
            if terminated or truncated:
                success = bool(info.get("success", False))
                episodes.append(Episode(slot.turns, slot.group, success))
                slots[i] = None


# ============================================================================================
# Update: the PPO loss
# ============================================================================================


def ppo_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    rollout_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    clip_range: float,
    tis_cap: float,
    loss_divisor: float,
    ref_logprobs: torch.Tensor | None = None,
    beta: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Per-sample PPO loss ``[B]`` from token tensors ``[B, T]`` and diagnostics.

    Token loss: the clipped surrogate ``max(-A r, -A clip(r, 1 - eps, 1 + eps))`` with
    ``r = exp(logprobs - old_logprobs)``, times the truncated importance weight
    ``min(exp(old_logprobs - rollout_logprobs), tis_cap)`` (the sampler and the learner may
    disagree), plus ``beta`` times the k3 estimate of KL(policy || reference). Token losses are
    summed per sample and divided by the constant ``loss_divisor`` (Dr. GRPO), so long and short
    responses weigh by their token count.
    """
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    pg_losses = torch.maximum(
        -advantages * ratio, -advantages * torch.clamp(ratio, 1 - clip_range, 1 + clip_range)
    )
    tis = torch.exp(old_logprobs - rollout_logprobs).clamp(max=tis_cap).detach()
    token_loss = pg_losses * tis
    n_tokens = mask.sum().clamp(min=1)

    def masked_mean(x: torch.Tensor) -> torch.Tensor:
        return (x.detach() * mask).sum() / n_tokens

    stats = {
        "policy_loss": masked_mean(pg_losses),
        "clipfrac": masked_mean(((ratio - 1).abs() > clip_range).float()),
        "approx_kl": masked_mean((ratio - 1) - log_ratio),
        "old_approx_kl": masked_mean(-log_ratio),
        "tis_weight": masked_mean(tis),
    }
    if ref_logprobs is not None and beta > 0:
        ref_log_ratio = ref_logprobs - logprobs
        kl = torch.exp(ref_log_ratio) - ref_log_ratio - 1
        token_loss = token_loss + beta * kl
        stats["kl"] = masked_mean(kl)
    return (token_loss * mask).sum(-1) / loss_divisor, stats


def _spread(packed: Packed, per_sample: Sequence[Sequence[float] | float]) -> torch.Tensor:
    """Place per-token (or per-sample, broadcast) values at each sample's response positions."""
    out = torch.zeros_like(packed.response_mask)
    for row, values in enumerate(per_sample):
        positions = packed.response_mask[row].nonzero().squeeze(-1)
        if len(positions):
            out[row, positions] = torch.as_tensor(values, dtype=out.dtype)
    return out


def plan_microbatches(
    lengths: Sequence[int], *, max_samples: int, max_tokens: int = 0
) -> list[list[int]]:
    """Group sample indices into micro-batches: by count, or up to ``max_tokens`` padded tokens
    (``longest * count``) when a token budget is set. Similar lengths go together."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches:
            current = batches[-1]
            longest = max(lengths[j] for j in (*current, i))
            fits = (
                longest * (len(current) + 1) <= max_tokens
                if max_tokens > 0
                else len(current) < max_samples
            )
            if fits:
                current.append(i)
                continue
        batches.append([i])
    return batches


def _lockstep(batches: list[list[int]], ctx: Dist) -> list[tuple[list[int], float]]:
    """Under FSDP every rank must run as many forward passes as the others: pad the plan with
    zero-weight repeats of the first micro-batch."""
    total = ctx.all_reduce_max(len(batches))
    return [(b, 1.0) for b in batches] + [(batches[0], 0.0)] * (total - len(batches))


# ============================================================================================
# Training
# ============================================================================================


def train(cfg: Config) -> dict[str, Any]:
    """Run PPO as configured; returns the run folder, last metrics and last checkpoint."""
    # --- setup (plumbing) ----------------------------------------------------------------------
    ctx = init_distributed()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.setLevel(logging.DEBUG if cfg.debug else logging.INFO)  # ours only, not every library's
    if cfg.rnd_seed:
        drawn = int.from_bytes(os.urandom(3), "little") if ctx.is_main else 0
        cfg = dataclasses.replace(cfg, seed=int(ctx.all_reduce_sum(np.array([drawn]))[0]))
    if cfg.cpu_threads > 0 and ctx.device.type == "cpu":
        torch.set_num_threads(cfg.cpu_threads)
    random.seed(cfg.seed + ctx.rank)
    np.random.seed(cfg.seed + ctx.rank)
    torch.manual_seed(cfg.seed + ctx.rank)
    rollout_per_rank = cfg.rollout_batch_size_per_device or max(
        1, cfg.rollout_batch_size // ctx.world_size
    )
    step_per_rank = max(1, cfg.train_batch_size // ctx.world_size)
    num_iterations = cfg.num_iterations or math.ceil(
        cfg.max_train / (rollout_per_rank * ctx.world_size)
    )
    steps_per_iteration = cfg.num_ppo_epochs * math.ceil(rollout_per_rank / step_per_rank)

    run_dir, resume_from = _run_dir(cfg, ctx)
    model_path = str(resume_from or cfg.pretrain or _tiny_model(cfg, ctx))
    dtype = torch.bfloat16 if cfg.bf16 and ctx.device.type == "cuda" else torch.float32

    from transformers import AutoTokenizer, get_scheduler

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    agent = Agent(
        load_lm(model_path, dtype=dtype, device=ctx.device), value_head=cfg.advantage == "gae"
    )
    agent.to(ctx.device)
    if resume_from:
        load_value_head(resume_from, agent)
    if cfg.gradient_checkpointing:
        # transformers 5 renamed the method (the old name warns); older versions have only that.
        if hasattr(agent.lm, "activation_checkpointing_enable"):
            agent.lm.activation_checkpointing_enable({"use_reentrant": False})
        else:
            agent.lm.gradient_checkpointing_enable({"use_reentrant": False})
    reference = None
    if cfg.beta > 0:  # the frozen initial policy
        reference = load_lm(cfg.pretrain or model_path, dtype=dtype, device=ctx.device).eval()
        reference.requires_grad_(False)
    # Engines see the plain LM; under FSDP they must keep their own copy (made before sharding).
    engine = make_engine(cfg.engine, agent.lm, tokenizer, cfg, share_weights=not ctx.enabled)
    agent = shard(agent, ctx)
    agent.train()
    optimizer = torch.optim.AdamW(
        agent.parameters(),
        lr=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        fused=ctx.device.type == "cuda",
    )
    total_steps = num_iterations * steps_per_iteration
    scheduler = get_scheduler(
        {"constant": "constant_with_warmup"}.get(cfg.lr_scheduler, cfg.lr_scheduler),
        optimizer,
        num_warmup_steps=int(cfg.lr_warmup_ratio * total_steps),
        num_training_steps=total_steps,
    )
    start_iteration = 0
    if resume_from:
        start_iteration = load_checkpoint(
            resume_from, agent=agent, optimizer=optimizer, scheduler=scheduler, ctx=ctx
        )
        engine.load_weights(agent)

    envs = make_envs(cfg.env_id, cfg.num_envs, cfg.wrappers, tokenizer)
    prompt_fn = make_prompt_fn(cfg.prompt_template, tokenizer, cfg.apply_chat_template)
    sampling = SamplingParams(cfg.generate_max_length, cfg.temperature, cfg.top_p, cfg.top_k)
    estimator = get_estimator(
        cfg.advantage, **({"std_scale": cfg.grpo_std_norm} if cfg.advantage == "grpo" else {})
    )
    tracker = Tracker(
        run_dir,
        cfg.to_dict(),
        use_wb=cfg.use_wb,
        wb_project=cfg.wb_project,
        wb_run_name=cfg.wb_run_name or run_dir.name,
        enabled=ctx.is_main,
    )
    if ctx.is_main:
        (run_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        log.info("run folder: %s  model: %s  world size: %d", run_dir, model_path, ctx.world_size)
    progress = _progress(ctx.is_main, num_iterations, start_iteration)
    metrics: dict[str, float] = {}
    checkpoint = None
    env_steps = _resumed_env_steps(resume_from, start_iteration) if resume_from else 0
    if cfg.eval_steps > 0 and start_iteration == 0:  # the levels to beat, on the same episodes
        baseline = {
            **_evaluate(engine, tokenizer, prompt_fn, cfg, ctx),
            **_evaluate(None, tokenizer, prompt_fn, cfg, ctx, prefix="eval_random"),
        }
        tracker.log({**baseline, "charts/env_steps": 0}, 0)
        progress(0, baseline)

    interrupted = 0  # the exit code of a stop asked for by Ctrl-C or SIGTERM
    with GracefulStop() as stop:
        for iteration in range(start_iteration, num_iterations):
            # --- ROLLOUT ---------------------------------------------------------------------------
            iteration_start = time.perf_counter()
            env_seed = training_seed(cfg.seed, iteration * ctx.world_size + ctx.rank)
            episodes, rollout_stats = collect_episodes(
                envs,
                engine,
                tokenizer,
                prompt_fn,
                sampling,
                min_turns=rollout_per_rank,
                max_model_len=cfg.max_model_len,
                group_size=cfg.num_samples,
                seed=env_seed,
            )
            turns = [t for ep in episodes for t in ep.turns]
            rollout_time = time.perf_counter() - iteration_start

            # --- ADVANTAGES (ALGO LOGIC) ----------------------------------------------------------
            update_start = time.perf_counter()
            # Log-probs of the policy before the update (the PPO ratio's denominator) and, with a
            # value head, V(s_t) of every turn.
            old_logprobs, values = _score_turns(agent, turns, tokenizer, cfg, ctx)
            batch = TurnBatch(
                rewards=[t.reward for t in turns],
                episode=[e for e, ep in enumerate(episodes) for _ in ep.turns],
                group=[ep.group for ep in episodes for _ in ep.turns],
                values=values,
            )
            advantages, returns = estimator(
                batch,
                gamma=cfg.gamma,
                lam=cfg.gae_lambda,
                normalize=cfg.norm_return,
                all_reduce=ctx.all_reduce_sum,
            )
            # Every rank trains on exactly rollout_per_rank turns (FSDP steps stay in lockstep).
            trainable = [i for i, t in enumerate(turns) if t.response_ids]
            b_inds = np.random.choice(trainable, rollout_per_rank, replace=False)
            b_turns = [turns[i] for i in b_inds]
            b_advantages = advantages[b_inds]
            b_returns = returns[b_inds]
            b_values = values[b_inds] if values is not None else None

            # --- UPDATE (ALGO LOGIC) ----------------------------------------------------------------
            b_prompts = [t.prompt_ids for t in b_turns]
            b_responses = [t.response_ids for t in b_turns]
            lengths = [len(p) + len(r) for p, r in zip(b_prompts, b_responses, strict=False)]
            b_old_logprobs = [old_logprobs[i] for i in b_inds]
            b_ref_logprobs = None
            if reference is not None:
                b_ref_logprobs, _ = _score_turns(reference, b_turns, tokenizer, cfg, ctx)
            update_stats: dict[str, list[float]] = defaultdict(list)
            for _epoch in range(cfg.num_ppo_epochs):
                epoch_start = len(update_stats["approx_kl"])
                order = np.random.permutation(rollout_per_rank)
                for start in range(0, rollout_per_rank, step_per_rank):
                    step_inds = order[start : start + step_per_rank]
                    plan = plan_microbatches(
                        [lengths[i] for i in step_inds],
                        max_samples=cfg.train_batch_size_per_device,
                        max_tokens=cfg.micro_batch_tokens,
                    )
                    for mb, weight in _lockstep(plan, ctx):
                        mb_inds = step_inds[mb]
                        packed = pack(
                            [b_prompts[i] for i in mb_inds],
                            [b_responses[i] for i in mb_inds],
                            tokenizer.pad_token_id,
                        ).to(ctx.device)
                        logits, new_values = agent(packed.input_ids, packed.attention_mask)
                        logprobs, entropy = sequence_logprobs(
                            logits, packed.input_ids, cfg.temperature
                        )
                        mask = packed.response_mask
                        sample_losses, stats = ppo_loss(
                            logprobs,
                            _spread(packed, [b_old_logprobs[i] for i in mb_inds]).to(ctx.device),
                            _spread(packed, [b_turns[i].logprobs for i in mb_inds]).to(ctx.device),
                            _spread(packed, [b_advantages[i] for i in mb_inds]).to(ctx.device),
                            mask,
                            clip_range=cfg.clip_range,
                            tis_cap=cfg.tis_cap,
                            loss_divisor=cfg.loss_divisor,
                            ref_logprobs=None
                            if b_ref_logprobs is None
                            else _spread(packed, [b_ref_logprobs[i] for i in mb_inds]).to(
                                ctx.device
                            ),
                            beta=cfg.beta,
                        )
                        loss = sample_losses.sum() / len(step_inds)
                        if new_values is not None:
                            v_pred = state_values(new_values, packed)
                            v_target = torch.as_tensor(
                                b_returns[mb_inds], dtype=v_pred.dtype, device=ctx.device
                            )
                            v_loss = 0.5 * ((v_pred - v_target) ** 2)
                            loss = loss + cfg.vf_coef * v_loss.sum() / len(step_inds)
                            update_stats["value_loss"].append(v_loss.mean().item())
                        (loss * weight).backward()
                        if weight:
                            for key, value in stats.items():
                                update_stats[key].append(float(value))
                            update_stats["entropy"].append(
                                float((entropy * mask).sum() / mask.sum().clamp(min=1))
                            )
                    grad_norm = torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.max_norm)
                    if hasattr(grad_norm, "full_tensor"):
                        grad_norm = grad_norm.full_tensor()
                    update_stats["grad_norm"].append(float(grad_norm))
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                if cfg.target_kl > 0:  # CleanRL's early stop: the policy moved far enough
                    epoch_kl = update_stats["approx_kl"][epoch_start:]
                    total, count = ctx.all_reduce_sum(np.array([sum(epoch_kl), len(epoch_kl)]))
                    if total / max(count, 1) > cfg.target_kl:
                        break
            engine.load_weights(agent)  # the next rollout samples from the updated policy
            update_time = time.perf_counter() - update_start

            # --- LOG -----------------------------------------------------------------------------
            iteration_time = time.perf_counter() - iteration_start
            n_tokens = sum(len(t.response_ids) for t in b_turns)
            local = {
                "charts/episodic_return": np.mean([ep.total_reward for ep in episodes]),
                "charts/episodic_length": np.mean([len(ep.turns) for ep in episodes]),
                "charts/success_rate": np.mean([ep.success for ep in episodes]),
                "charts/format_error_rate": np.mean([t.format_error for t in turns]),
                "charts/invalid_rate": np.mean([t.invalid for t in turns]),
                "charts/response_length": n_tokens / len(b_turns),
                "charts/prompt_length": np.mean([len(t.prompt_ids) for t in b_turns]),
                "charts/turn_return": float(np.mean(returns)),
                "charts/num_episodes": len(episodes),
                "charts/num_turns": len(turns),
                "charts/rollout_time": rollout_time,
                "charts/update_time": update_time,
                "charts/generate_tokens_per_second": rollout_stats["gen_tokens"]
                / max(rollout_stats["gen_time"], 1e-9),
                "charts/SPS": rollout_per_rank / iteration_time,
                **{f"losses/{k}": np.mean(v) for k, v in update_stats.items()},
            }
            if b_values is not None:
                variance = np.var(b_returns)
                local["losses/explained_variance"] = (
                    float("nan") if variance == 0 else 1 - np.var(b_returns - b_values) / variance
                )
            keys = sorted(local)
            reduced = ctx.all_reduce_sum(np.array([local[k] for k in keys], dtype=np.float64))
            metrics = {k: v / ctx.world_size for k, v in zip(keys, reduced, strict=False)}
            for key in (
                "charts/SPS",
                "charts/generate_tokens_per_second",
                "charts/num_episodes",
                "charts/num_turns",
            ):
                metrics[key] *= ctx.world_size  # rates and counts add up over ranks
            env_steps += round(float(metrics["charts/num_turns"]))
            metrics["charts/env_steps"] = env_steps
            metrics["charts/learning_rate"] = scheduler.get_last_lr()[0]
            metrics["charts/global_step"] = (iteration + 1) * rollout_per_rank * ctx.world_size
            if cfg.eval_steps > 0 and (iteration + 1) % cfg.eval_steps == 0:
                metrics.update(_evaluate(engine, tokenizer, prompt_fn, cfg, ctx))
            tracker.log(metrics, iteration + 1)
            progress(iteration + 1, metrics)
            if ctx.is_main and cfg.log_episodes > 0 and (iteration + 1) % cfg.log_episodes == 0:
                from gem_gymnasium.trainers.episode_log import log_episodes

                path = run_dir / "episodes" / f"iter_{iteration + 1:06d}.jsonl"
                log_episodes(path, episodes, tokenizer, cfg=cfg, seed=env_seed)

            # --- CHECKPOINT ------------------------------------------------------------------------
            last = iteration + 1 == num_iterations
            stopping = bool(ctx.all_reduce_max(int(stop.requested)))  # every rank stops together
            if last or stopping or (cfg.save_steps > 0 and (iteration + 1) % cfg.save_steps == 0):
                checkpoint = save_checkpoint(
                    run_dir / "checkpoints" / f"iter_{iteration + 1:06d}",
                    agent=agent,
                    tokenizer=tokenizer,
                    optimizer=optimizer,
                    scheduler=scheduler,
                    iteration=iteration + 1,
                    ctx=ctx,
                )
                if ctx.is_main:
                    rotate_checkpoints(run_dir, cfg.max_save_num)
            if stopping:
                interrupted = stop.exit_code
                break

        # --- wrap up (plumbing; a second Ctrl-C here still exits at once, without a traceback)
        curve = None
        if ctx.is_main and tracker.path.exists():
            curve = plot_learning_curve(
                tracker.path,
                run_dir / "learning_curve.png",
                train_env=cfg.env_id,
                eval_env=cfg.eval_env_id or cfg.env_id,
            )
        tracker.close()
        for env in envs:
            env.close()
        engine.close()
        progress(None, None)
        ctx.barrier()
        ctx.close()
    return {
        "run_dir": run_dir,
        "metrics": metrics,
        "checkpoint": checkpoint,
        "curve": curve,
        "interrupted": interrupted,
    }


# ============================================================================================
# Helpers (plumbing)
# ============================================================================================


@torch.no_grad()
def _score_turns(
    model: torch.nn.Module, turns: Sequence[Turn], tokenizer: Any, cfg: Config, ctx: Dist
) -> tuple[list[list[float]], np.ndarray | None]:
    """Each turn's response log-probs under ``model`` (the agent or the plain reference LM) and,
    when it has a value head, ``V(s_t)`` per turn.

    Runs in eval mode: these log-probs are the PPO ratio's denominator and must be those of the
    policy itself, not of one dropout sample of it.
    """
    logprobs_out: list[list[float]] = [[] for _ in turns]
    values = np.zeros(len(turns)) if getattr(model, "value_head", None) is not None else None
    # Prompts that were too long to generate from keep their last max_model_len tokens.
    prompts = [t.prompt_ids[-cfg.max_model_len :] for t in turns]
    lengths = [len(p) + len(t.response_ids) for p, t in zip(prompts, turns, strict=True)]
    plan = plan_microbatches(
        lengths, max_samples=cfg.train_batch_size_per_device, max_tokens=cfg.micro_batch_tokens
    )
    was_training = model.training
    model.eval()
    try:
        for mb, weight in _lockstep(plan, ctx):
            packed = pack(
                [prompts[i] for i in mb],
                [turns[i].response_ids for i in mb],
                tokenizer.pad_token_id,
            ).to(ctx.device)
            result = model(input_ids=packed.input_ids, attention_mask=packed.attention_mask)
            logits = result[0] if isinstance(result, tuple) else result.logits
            logprobs, _ = sequence_logprobs(logits, packed.input_ids, cfg.temperature)
            if not weight:
                continue
            for row, i in enumerate(mb):
                logprobs_out[i] = logprobs[row][packed.response_mask[row].bool()].tolist()
            if values is not None:
                values[mb] = state_values(result[1], packed).float().cpu().numpy()
    finally:
        model.train(was_training)
    return logprobs_out, values


def _run_dir(cfg: Config, ctx: Dist) -> tuple[Path, Path | None]:
    """The run folder and the checkpoint to resume from (if any)."""
    resume_from = None
    if cfg.resume and cfg.resume != "auto":
        resume_from = Path(cfg.resume)
        check_checkpoint(resume_from)  # names an incomplete or damaged checkpoint
    if cfg.run_name:
        run_dir = Path(cfg.output_dir) / cfg.run_name
    elif resume_from is not None:
        run_dir = resume_from.parent.parent
    else:
        stamp = int(ctx.all_reduce_sum(np.array([time.time() if ctx.is_main else 0]))[0])
        name = cfg.env_id.replace(":", "_").replace("/", "_")
        run_dir = (
            Path(cfg.output_dir)
            / f"{name}-s{cfg.seed}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(stamp))}"
        )
    if cfg.resume == "auto":
        resume_from = latest_checkpoint(run_dir)
    if ctx.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        metrics_file = run_dir / "metrics.jsonl"
        if metrics_file.exists():  # a resumed run keeps the rows up to its iteration only
            kept = []
            if resume_from is not None:
                done = check_checkpoint(resume_from)
                rows = [r for r in metrics_file.read_text().splitlines() if r.strip()]
                kept = [r for r in rows if json.loads(r)["iteration"] <= done]
            metrics_file.write_text("".join(f"{r}\n" for r in kept))
    ctx.barrier()
    return run_dir, resume_from


def _resumed_env_steps(checkpoint: Path, iteration: int) -> int:
    """Env steps played up to ``iteration``, from the metrics of the checkpoint's own run
    (``<run>/checkpoints/iter_N``); 0 when that run's metrics are gone."""
    from gem_gymnasium.trainers.tracking import read_metrics

    metrics_path = checkpoint.parent.parent / "metrics.jsonl"
    rows = read_metrics(metrics_path) if metrics_path.exists() else []
    steps = [
        r["charts/env_steps"]
        for r in rows
        if r["iteration"] <= iteration and "charts/env_steps" in r
    ]
    return int(steps[-1]) if steps else 0


def _tiny_model(cfg: Config, ctx: Dist) -> Path:
    """The cached tiny local model (built by rank 0, then shared)."""
    from gem_gymnasium.trainers.tiny import default_model

    options = dict(
        wrappers=cfg.wrappers,
        template=cfg.prompt_template,
        apply_chat_template=cfg.apply_chat_template,
    )
    if ctx.is_main:
        log.info("no --pretrain: using the tiny local model (built once, then cached)")
        path = default_model(cfg.env_id, **options)
    ctx.barrier()
    return path if ctx.is_main else default_model(cfg.env_id, **options)


def _evaluate(
    engine: Engine | None,
    tokenizer: Any,
    prompt_fn: Callable[[str], str],
    cfg: Config,
    ctx: Dist,
    prefix: str = "eval",
) -> dict[str, float]:
    """Held-out evaluation on rank 0: episode ``k`` uses seed ``k`` (never a training seed, see
    :data:`HELD_OUT_SEEDS`), so every evaluation plays the same episodes. ``engine=None``
    plays the env's random moves instead (the random baseline)."""
    if not ctx.is_main:
        return {}
    from gem_gymnasium.trainers.evaluation import EnginePolicy, evaluate_env

    policy = None
    if engine is not None:
        policy = EnginePolicy(
            engine,
            tokenizer,
            prompt_fn,
            SamplingParams(cfg.eval_generate_max_length, cfg.eval_temperature, cfg.eval_top_p),
            max_model_len=cfg.max_model_len,
        )
    result = evaluate_env(
        policy,
        cfg.eval_env_id or cfg.env_id,
        cfg.eval_episodes,
        wrappers=cfg.wrappers,
        tokenizer=tokenizer,
        num_envs=max(cfg.num_envs, cfg.generate_batch_size),
        seed=0,
    )
    return {f"{prefix}/{k}": v for k, v in result.summary().items()}


def _progress(enabled: bool, total: int, done: int) -> Callable[[int | None, dict | None], None]:
    """A rich progress bar plus one line per iteration (main rank only)."""
    if not enabled:
        return lambda *_: None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console()
    # Piped or logged: plain lines, no bar, no wrapping; in a terminal, rich's log lines.
    say = console.log if console.is_terminal else functools.partial(print, flush=True)
    bar = Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    task = bar.add_task("train", total=total, completed=done)
    bar.start()

    def update(iteration: int | None, metrics: dict | None) -> None:
        if iteration is None:
            bar.stop()
            return
        bar.update(task, completed=iteration)
        held_out = ""
        if "eval/success_rate" in metrics:
            held_out = (
                f"  HELD-OUT success {metrics['eval/success_rate']:.3f}"
                f" return {metrics['eval/episodic_return']:+.3f}"
            )
        if "eval_random/success_rate" in metrics:
            held_out += f" (random moves: {metrics['eval_random/success_rate']:.3f})"
        if iteration == 0:
            say(f"before training:{held_out}")
            return
        say(
            f"iter {iteration}/{total}  return {metrics['charts/episodic_return']:+.3f}  "
            f"success {metrics['charts/success_rate']:.2f}  "
            f"len {metrics['charts/episodic_length']:.1f}  "
            f"fmt_err {metrics['charts/format_error_rate']:.2f}  "
            f"clip {metrics.get('losses/clipfrac', 0):.3f}  "
            f"kl {metrics.get('losses/approx_kl', 0):.2e}  "
            f"tok/s {metrics['charts/generate_tokens_per_second']:.0f}{held_out}"
        )

    return update
