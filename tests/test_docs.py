"""The README's promises: exactly two set-up commands, and CI runs the test command verbatim."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = readme.split("---", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", first_screen, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_first_screen_has_exactly_two_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "riskscore memo companies/wedoctor.yaml" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci.splitlines()


def test_the_dev_extra_installs_the_test_packages_and_the_checks_ci_runs() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(extras["test"]) <= set(extras["dev"])  # `pip install -e '.[dev]'` runs the tests too
    assert {"ruff", "mypy"} <= {re.split(r"[<>=!~ \[]", req, maxsplit=1)[0] for req in extras["dev"]}


def test_documented_defaults_file_exists() -> None:
    assert (ROOT / "riskscore" / "defaults.toml").is_file()
