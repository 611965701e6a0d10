"""Adapters that let libraries without text spaces train on the project's environments.

:mod:`gem_gymnasium.adapters.sb3` maps text actions to ``Discrete`` and text observations to
fixed-size numeric vectors, for Stable-Baselines3 (the ``[sb3]`` extra).
"""
