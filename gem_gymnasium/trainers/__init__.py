"""Training LLM agents on the text environments: multi-turn PPO (``ppo``), its advantage
estimators (``advantages``), generation engines (``engines``) and the ``gem-gym train`` / ``eval``
commands (``cli``). Needs the ``[train]`` extra; nothing heavy is imported here.
"""
