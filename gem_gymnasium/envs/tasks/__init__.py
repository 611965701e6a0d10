"""Dataset tasks: math, code, question answering and reasoning-gym, one question per episode.

Each task is a :class:`~gem_gymnasium.envs.tasks.base.DatasetEnv`: the observation at reset is the
question, the single action is the answer, and the episode terminates on it. Modules:

* :mod:`.records` loads items (shipped offline samples, a Hugging Face hub dataset, a local file);
* :mod:`.base` picks items (seeded, by index, or sequentially in shards for evaluation);
* :mod:`.grading_pool` runs graders in reusable processes under a hard time limit;
* :mod:`.math_grading`, :mod:`.math_env`, :mod:`.math_generator`: math answers via math-verify;
* :mod:`.code_env`: programs run against stdin/stdout tests in the Python sandbox;
* :mod:`.qa_env`: exact match and F1 with SQuAD normalisation;
* :mod:`.reasoning_gym_env`: every reasoning-gym task, scored by the task's own scorer.

Nothing heavy is imported here: ``datasets``, ``math_verify`` and ``reasoning_gym`` load when an env
needs them.
"""
