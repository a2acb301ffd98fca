"""riskscore.profile.load builds a profile's data straight from the YAML node tree (and remembers
how short scalars resolve); the result must be exactly what the strict loader's own construction
gives — the same values, the same types, the same errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from riskscore.errors import InputError
from riskscore.profile import load as L

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import profile_yaml  # noqa: E402


def _reference(text: str) -> object:
    """The strict loader's own, generic construction (what read_yaml did before the direct build)."""
    loader = L._StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read(tmp_path: Path, text: str) -> object:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return L.read_yaml(path)[0]


def _same(a: object, b: object) -> bool:
    return repr(a) == repr(b) and a == b  # repr tells True from 1 and 1.0 from 1


@pytest.mark.parametrize("path", sorted((ROOT / "companies").glob("*.yaml")), ids=lambda p: p.stem)
def test_committed_profiles_read_as_the_loader_builds_them(path: Path) -> None:
    assert _same(L.read_yaml(path)[0], _reference(path.read_text(encoding="utf-8")))


def test_synthetic_profiles_read_as_the_loader_builds_them(tmp_path: Path) -> None:
    import random

    rng = random.Random(3)
    for i in range(40):
        text = profile_yaml(i, rng)
        assert _same(_read(tmp_path, text), _reference(text))


SCALARS = """\
plain: text
quoted: '123'
double: "yes"
int: 42
hex: 0x1F
octal: 017
underscored: 1_000
float: 3.25
exp: 1e3
inf: .inf
nan_is_text: nan
yes_word: yes
no_word: No
on_word: on
true_word: true
null_word: null
tilde: ~
empty:
date: 2025-06-30
datetime: 2025-06-30 12:30:00
tagged_str: !!str 12
tagged_float: !!float 1
binary: !!binary aGVsbG8=
list: [1, two, 3.0, null, 2024-01-01]
nested: {a: [{b: {c: [[], {}]}}]}
long: %s
""" % ("x" * 200)


def test_every_kind_of_scalar_reads_as_the_loader_builds_it(tmp_path: Path) -> None:
    data = _read(tmp_path, SCALARS)
    assert _same(data, _reference(SCALARS))
    assert data["yes_word"] is True and data["octal"] == 15 and data["tagged_str"] == "12"  # type: ignore[index]
    # read twice: the remembered resolutions give the same again
    assert _same(_read(tmp_path, SCALARS), data)


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",                      # duplicate key
    "a: 1\nb:\n  c: 1\n  c: 2\n",        # duplicate key, nested
    "1: one\n",                           # a key read as an int
    "? [a, b]\n: 1\n",                    # a key that is a list
    "<<: {a: 1}\n",                       # a merge key
    "d: 2025-02-30\n",                    # not a calendar date
    "x: !custom 1\n",                     # an unknown tag
])
def test_bad_yaml_gives_the_loader_s_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(yaml.YAMLError) as expected:
        _reference(text)
    with pytest.raises(InputError) as found:
        _read(tmp_path, text)
    problem = found.value.problems[0]
    mark = expected.value.problem_mark  # type: ignore[attr-defined]
    assert problem.message == f"YAML: {expected.value.problem}"  # type: ignore[attr-defined]
    assert problem.line == mark.line + 1


def test_nesting_deeper_than_the_direct_build_still_reads(tmp_path: Path) -> None:
    text = "a: " + "[" * 900 + "]" * 900 + "\n"
    assert _same(_read(tmp_path, text), _reference(text))


def _nodes(node: yaml.Node) -> list[tuple]:
    """Every node of a tree, depth first, as (kind, tag, scalar text, line, column)."""
    out = [(type(node).__name__, node.tag, node.value if isinstance(node, yaml.ScalarNode) else None,
            node.start_mark.line, node.start_mark.column)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out += _nodes(key) + _nodes(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            out += _nodes(item)
    return out


def _compose(loader_class: type, text: str) -> yaml.Node:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def test_the_strict_loader_tags_every_node_as_pyyaml_does() -> None:
    """The strict loader resolves tags its own way (remembered per plain scalar, no path resolvers):
    every node gets the tag, text and position PyYAML's own safe loader gives it."""
    import random

    rng = random.Random(5)
    texts = [SCALARS, "q: 'yes'\nd: \"2025-01-01\"\nt: ! 12\nn: !!null ''\n", "a: ! 13\nb: 13\nc: '13'\nd: 13\n"]
    texts += [profile_yaml(i, rng) for i in range(10)]
    for text in texts + texts:  # twice: the second time from what the loader remembered
        assert _nodes(_compose(L._StrictLoader, text)) == _nodes(_compose(yaml.SafeLoader, text))
