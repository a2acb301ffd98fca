"""riskscore: scores the listing risk of IPO candidates from sourced company profiles.

Python API (kept light; nothing heavy is imported until used)::

    from riskscore.loader import load_profile
    from riskscore.config import load_config
    from riskscore.engine import assess
    from riskscore import registry

    profile = load_profile("companies/wedoctor.yaml")
    config = load_config()                      # or load_config("riskscore.toml")
    assessment = assess(profile, config, registry.select(config))
    print(assessment.adjusted_score, assessment.adjusted_band)
"""

__version__ = "0.1.0"
