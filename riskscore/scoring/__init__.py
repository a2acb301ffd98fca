"""Scoring: the rubric contract, grids and bands, configuration, the rubric registry and the engine.

Reads a validated :class:`~riskscore.profile.Profile`; knows nothing of memos or the CLI.
"""
