"""Errors that mean "the input is wrong": the CLI prints them without a traceback and exits 2."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (field path, line) and why."""

    field: str
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class InputError(Exception):
    """A profile or configuration file that cannot be used, with every problem found."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.render(self.file) for p in self.problems)


class RubricLoadError(Exception):
    """A rubric plugin that could not be loaded or violates the contract."""


@dataclass
class WriteError(Exception):
    """An output file that could not be written; the previous file (or set of files) is intact."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: could not write: {self.reason}; no file of this output was changed"


class BusyError(Exception):
    """Another run holds what this one needs (a batch's output directory); not the input's fault: exit code 1."""
