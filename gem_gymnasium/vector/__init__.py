"""Vector envs for text environments: mixed ids, a lean sync loop, threads for I/O.

* :func:`make_vec`: one id or a mix of ids, per-env seeds/kwargs/wrappers, ``"sync"``,
  ``"thread"`` or ``"async"`` (Gymnasium's processes); SameStep autoreset by default.
* :class:`TextSyncVectorEnv`: Gymnasium's vector API with little per-step overhead.
* :class:`ThreadVectorEnv`: the same API, sub-envs stepped concurrently on threads, with a
  per-call ``timeout``.
* :class:`ProcessVectorEnv`: Gymnasium's ``AsyncVectorEnv`` (worker processes) whose failures
  name the sub-env and whose dead or stuck workers are restarted by ``reset()``.
* In every mode an action of ``None`` skips its sub-env (partial steps for evaluation), and a
  failing sub-env surfaces as :class:`SubEnvError` naming its index and id.

``gymnasium.make_vec("gem/<id>", ...)`` also works, with Gymnasium's own vector envs.
"""

from __future__ import annotations

from gem_gymnasium.vector.adapters import SkipNoneAction
from gem_gymnasium.vector.errors import SubEnvError, SubEnvTimeoutError
from gem_gymnasium.vector.infos import batch_infos
from gem_gymnasium.vector.mixed import VECTORIZATION_MODES, SubEnvSpec, make_vec
from gem_gymnasium.vector.processes import ProcessVectorEnv
from gem_gymnasium.vector.sync import TextSyncVectorEnv
from gem_gymnasium.vector.thread import ThreadVectorEnv

__all__ = [
    "VECTORIZATION_MODES",
    "ProcessVectorEnv",
    "SkipNoneAction",
    "SubEnvError",
    "SubEnvSpec",
    "SubEnvTimeoutError",
    "TextSyncVectorEnv",
    "ThreadVectorEnv",
    "batch_infos",
    "make_vec",
]
