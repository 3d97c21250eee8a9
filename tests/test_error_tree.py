"""The error tree drawn in runner_api/errors.py is the real one: every subclass of FixlineError
in runner_api, under its real parent, in the module the drawing names (errors.py if none)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import runner_api
from runner_api import errors
from runner_api.errors import FixlineError

ROOT = Path(runner_api.__file__).parent
# The modules that cannot be imported on their own, each with the reason; they may define no
# class, so none of them can hold an error.
NOT_IMPORTABLE = {
    "runner_api.migrations.env": "alembic's env script: it reads alembic's context at import",
}
_LINE = re.compile(
    r"(?P<indent>(?:│   |    )*)(?P<glyph>├── |└── )(?P<name>\w+)(?:\s+\((?P<file>[\w/]+\.py)\))?"
)

# name -> (parent's name, file below runner_api/)
Tree = dict[str, tuple[str, str]]


def _module_names(folder: Path, prefix: str) -> Iterator[str]:
    """Every module and package below `folder`, found on disk (importing none of them)."""
    for info in pkgutil.iter_modules([str(folder)], prefix):
        yield info.name
        if info.ispkg:
            yield from _module_names(folder / info.name.rpartition(".")[2], f"{info.name}.")


@pytest.fixture(scope="module")
def imported() -> list[str]:
    """Import every module of runner_api; the names of those that failed, and why."""
    failed = []
    for name in _module_names(ROOT, "runner_api."):
        if name not in NOT_IMPORTABLE:
            try:
                importlib.import_module(name)
            except Exception as exc:
                failed.append(f"{name}: {exc!r}")
    return failed


def _file_of(cls: type) -> str:
    return Path(sys.modules[cls.__module__].__file__ or "").relative_to(ROOT).as_posix()


def _real() -> Tree:
    tree: Tree = {}
    pending = [FixlineError]
    while pending:
        parent = pending.pop()
        for cls in parent.__subclasses__():
            # The lab's and the tests' own subclasses are not the product's tree.
            if cls.__module__.partition(".")[0] != "runner_api":
                continue
            bases = [base for base in cls.__bases__ if issubclass(base, FixlineError)]
            assert bases == [parent], f"{cls.__qualname__} has more than one parent: {bases}"
            assert cls.__name__ not in tree, f"two errors are named {cls.__name__}"
            tree[cls.__name__] = (parent.__name__, _file_of(cls))
            pending.append(cls)
    return tree


def _drawn() -> tuple[Tree, dict[str, bool]]:
    lines = (errors.__doc__ or "").splitlines()
    start = lines.index("FixlineError")
    tree: Tree = {}
    path = ["FixlineError"]  # the line's ancestors, the root first
    last: dict[str, bool] = {}  # whether each drawn line says it is its parent's last child
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        match = _LINE.match(line)
        assert match is not None, f"not a line of the tree: {line!r}"
        depth = len(match["indent"]) // 4
        assert depth < len(path), f"drawn deeper than its parent: {line!r}"
        del path[depth + 1 :]
        name = match["name"]
        assert name not in tree, f"{name} is drawn twice"
        tree[name] = (path[depth], match["file"] or "errors.py")
        last[name] = match["glyph"] == "└── "
        path.append(name)
    return tree, last


def _misdrawn_ends(tree: Tree, last: dict[str, bool]) -> list[str]:
    """The parents whose children do not end with the one └── line, and only it."""
    wrong = []
    for parent in sorted({parent for parent, _ in tree.values()}):
        children = [name for name, (above, _) in tree.items() if above == parent]
        if [last[name] for name in children] != [False] * (len(children) - 1) + [True]:
            wrong.append(parent)
    return wrong


def test_every_module_imports(imported: list[str]) -> None:
    assert not imported, "modules that do not import:\n" + "\n".join(imported)
    found = set(_module_names(ROOT, "runner_api."))
    for name, why in NOT_IMPORTABLE.items():
        assert name in found, f"{name} is gone: drop it from NOT_IMPORTABLE"
        path = ROOT.joinpath(*name.split(".")[1:]).with_suffix(".py")
        classes = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)]
        assert not classes, f"{name} ({why}) defines a class: the test cannot see it"


def test_the_drawn_error_tree_is_the_real_one(imported: list[str]) -> None:
    assert not imported, "modules that do not import:\n" + "\n".join(imported)
    real, (drawn, last) = _real(), _drawn()
    missing = sorted(set(real) - set(drawn))
    extra = sorted(set(drawn) - set(real))
    moved = sorted(
        f"{name}: drawn under {drawn[name]}, is under {real[name]}"
        for name in set(real) & set(drawn)
        if real[name] != drawn[name]
    )
    assert not (missing or extra or moved), (
        "runner_api/errors.py draws another tree than the classes make:\n"
        f"not drawn: {missing}\nno such error: {extra}\n" + "\n".join(moved)
    )
    assert not _misdrawn_ends(drawn, last), "└── is not on the last child of each of these"
