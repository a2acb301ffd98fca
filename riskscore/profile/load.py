"""Reading profiles from YAML: strict, with every problem reported by file, line and field.

The YAML is composed to a node tree first so that a validation error can name the line of
the offending key. Duplicate keys, anchors/aliases (a "billion laughs" vector and never
needed in a profile), non-UTF-8 bytes, files over ``MAX_BYTES`` and anything that is not a
regular file (a directory, ``/dev/zero``, a FIFO) are refused.
"""

from __future__ import annotations

import datetime as dt
import glob
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from riskscore.errors import InputError, Problem
from riskscore.inputfile import read_text_limited
from riskscore.profile.model import Profile, describe_loc

MAX_BYTES = 2 * 1024 * 1024

if TYPE_CHECKING:  # the C loader where libyaml is available; both have SafeLoader's interface
    _Loader = yaml.SafeLoader
else:
    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVED: dict[str, str] = {}  # plain scalar -> tag; bounded


class _StrictLoader(_Loader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark)
            if key_node.tag != "tag:yaml.org,2002:str":
                raise yaml.constructor.ConstructorError(None, None, f"keys must be text; {key_node.value!r} is read as {key_node.tag.rsplit(':', 1)[-1]} (quote it)", key_node.start_mark)
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    # The composer calls these two around every node, for path resolvers (``add_path_resolver``),
    # which this loader never has: doing nothing here saves a tenth of the cost of reading a profile.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        """The tag of a node, remembered for short scalars: a profile repeats its keys and small
        values on every line, and resolving each one again through the regular expressions is
        a fifth of the cost of reading it.

        Without path resolvers, a scalar's tag depends on its text alone when it is plain
        (``implicit[0]``), and is text otherwise (quoted, or tagged ``!``), as in
        :meth:`yaml.resolver.BaseResolver.resolve`."""
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        if not implicit[0]:
            return self.DEFAULT_SCALAR_TAG
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < 4096 and len(value) <= 64:
                _RESOLVED[value] = tag
        return tag

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> dt.date | dt.datetime:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:  # 2025-02-30 parses as a timestamp, then fails as a date
            raise yaml.constructor.ConstructorError(None, None, f"not a calendar date: {node.value!r} ({exc})", node.start_mark) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# Scalars built by the loader's own constructors (the same values, the same errors); any
# other tag goes through the loader's generic construction.
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp"))


def _construct(loader: Any, node: yaml.Node) -> Any:
    """The data of ``node``, as ``loader.construct_document(node)`` builds it, in a third of the time.

    SafeConstructor's generic machinery (recursion bookkeeping, two-phase generators for every
    mapping and list) is most of the cost of reading a profile; a profile holds plain mappings,
    lists and scalars, which this builds directly. Keys get the strict loader's checks
    (:meth:`_StrictLoader.construct_mapping`), with the same messages.
    """
    kind = type(node)
    tag = node.tag
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        if tag in _SCALAR_TAGS:
            return loader.yaml_constructors[tag](loader, node)
    elif kind is yaml.MappingNode and tag == _MAP:
        data: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR:
                loader.construct_mapping(node)  # raises the strict loader's error for this key
            key = key_node.value
            if key in lines:
                loader.construct_mapping(node)  # duplicate key: the strict loader's error
            lines[key] = key_node.start_mark.line
            data[key] = _construct(loader, value_node)
        return data
    elif kind is yaml.SequenceNode and tag == _SEQ:
        return [_construct(loader, item) for item in node.value]
    return loader.construct_object(node, deep=True)


def _check_no_aliases(node: yaml.Node, seen: set[int]) -> None:
    if id(node) in seen:
        raise yaml.composer.ComposerError(None, None, "anchors and aliases are not allowed in profiles", node.start_mark)
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _check_no_aliases(key, seen)
            _check_no_aliases(value, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_no_aliases(item, seen)


def read_yaml(path: Path, max_bytes: int = MAX_BYTES) -> tuple[Any, yaml.Node | None]:
    """Parse ``path``; returns the data and the node tree (for line numbers)."""
    name = str(path)
    text = read_text_limited(path, max_bytes, "profile")
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(name, [Problem("", "the file is empty")])
        if "*" in text or "&" in text:  # only then can the document hold an alias
            _check_no_aliases(node, set())
        try:
            data = _construct(loader, node)
        except RecursionError:  # deeper than the direct build goes: the loader's own construction
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(name, [Problem("", f"YAML: {exc.problem or exc.context}", line)]) from None
    except yaml.YAMLError as exc:
        raise InputError(name, [Problem("", f"YAML: {exc}")]) from None
    except RecursionError:
        raise InputError(name, [Problem("", "YAML: nested too deeply to be a profile")]) from None
    finally:
        loader.dispose()
    return data, node


def line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) in the profile file of the item at ``loc`` (or of its deepest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and part == 0:
            continue  # a one-observation figure written as a mapping, not a list
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def problems_from(exc: ValidationError, data: Any, node: yaml.Node | None) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "list[", "json-or-python"))))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; `riskscore schema profile` lists the keys)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append(Problem(describe_loc(data, loc), msg, line_of(node, loc)))
    return problems


def load_profile(path: str | Path, max_bytes: int | None = None) -> Profile:
    """Read and validate a profile; raises :class:`InputError` listing every problem found."""
    return load_profile_with_lines(path, max_bytes)[0]


def load_profile_with_lines(path: str | Path, max_bytes: int | None = None) -> tuple[Profile, yaml.Node | None]:
    """:func:`load_profile`, plus the YAML node tree that :func:`line_of` reads line numbers from."""
    path = Path(path)
    data, node = read_yaml(path, MAX_BYTES if max_bytes is None else max_bytes)
    if not isinstance(data, dict):
        raise InputError(str(path), [Problem("", f"a profile is a mapping of keys; the file holds a {type(data).__name__}")])
    try:
        return Profile.model_validate(data), node
    except ValidationError as exc:
        raise InputError(str(path), problems_from(exc, data, node)) from None


def profile_texts(profile: Profile, path: str | Path) -> dict[str, str]:
    """The translations of a profile's own texts (filing notes, event descriptions, the sector…) from a gettext
    ``.po`` file beside it (``companies/wedoctor.zh.po``): each ``msgid`` is a text exactly as the profile writes
    it, each ``msgstr`` its translation. A ``msgid`` that is no text of the profile is refused, so that a
    translation cannot go stale silently when the profile changes."""
    from riskscore.report.i18n import read_po

    name = str(path)
    try:
        texts = read_po(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, [Problem("", f"cannot read: {exc}")]) from None
    except ValueError as exc:
        raise InputError(name, [Problem("", str(exc))]) from None
    known: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            known.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(profile.model_dump())
    stale = [msgid for msgid in texts if msgid not in known]
    if stale:
        raise InputError(name, [Problem(f"msgid {m[:60]!r}", "is not a text of the profile (changed or removed there?)") for m in stale])
    return texts


@dataclass(frozen=True)
class Unmatched:
    """An input of :func:`expand_inputs` that named no profile file, and why."""

    input: str
    reason: str

    def __str__(self) -> str:
        return f"{self.input}: {self.reason}"


def expand_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[Unmatched]]:
    """Files, directories (their ``*.yaml``/``*.yml``) and globs -> unique profile paths, in the
    order the inputs are given (the files of one directory or glob sorted by name); a file
    found twice keeps its first place, so in a batch the profile named first wins a shared id.

    Inputs that match nothing come back as :class:`Unmatched`, so a caller can report them too.
    """
    paths: dict[str, Path] = {}
    missing: list[Unmatched] = []
    for raw in inputs:
        item = str(raw)
        candidate = Path(item)
        if candidate.is_dir():
            found = [p for p in candidate.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()]
        elif candidate.exists():
            found = [candidate]
        elif glob.has_magic(item):
            found = [Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file()]
        else:
            found = []
        if not found:
            reason = "directory holds no *.yaml or *.yml profiles" if candidate.is_dir() else "no such file, directory or matching pattern"
            missing.append(Unmatched(item, reason))
        for p in sorted(found, key=str):
            paths.setdefault(str(p.resolve()), p)
    return list(paths.values()), missing


def field_lines(root: yaml.Node | None, fields: Iterable[str]) -> dict[str, int | None]:
    """The line (1-based) of each field path (``periods[FY2022].segments``) in a profile's YAML node tree
    (:func:`load_profile_with_lines` gives it), None where not found.

    A list item is found by its ``id`` or ``name`` (or its index), as the path grammar writes it.
    """
    from riskscore.profile import paths

    out: dict[str, int | None] = {}
    for text in fields:
        try:
            parts = paths.parse(text)
        except ValueError:
            out[text] = None
            continue
        node, line = root, None
        for part in parts:
            child = None
            if isinstance(part, paths.Item) and isinstance(node, yaml.SequenceNode):
                for k, item in enumerate(node.value):
                    keys = {key.value: value for key, value in item.value} if isinstance(item, yaml.MappingNode) else {}
                    named = any(isinstance(keys.get(k2), yaml.ScalarNode) and keys[k2].value == part.key for k2 in ("id", "name"))
                    if named or part.key == str(k):
                        child, line = item, item.start_mark.line + 1
                        break
            elif isinstance(part, str) and isinstance(node, yaml.MappingNode):
                match = next(((key, value) for key, value in node.value if key.value == part), None)
                if match is not None:
                    child, line = match[1], match[0].start_mark.line + 1
            if child is None:
                break
            node = child
        out[text] = line
    return out
