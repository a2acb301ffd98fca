"""Built-in rubrics. Each module holds one rubric, registered under the entry-point group
``riskscore.rubrics`` in pyproject.toml exactly as a third-party plugin registers."""
