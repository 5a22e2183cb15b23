"""What a user writes to use a tool, read from the adapter's own source: the stage's
operations as the tool's adapter implements them, without bakeoff's glue."""

from __future__ import annotations

from pathlib import Path


def operation_source(cls: type, operations: list[str]) -> str:
    """What a user writes to do ``operations`` with the tool: the code of those methods as
    ``cls`` implements them, with the methods and functions of its own module they call
    (transitively); docstrings, setup and the stage's shared glue left out. Printed by
    ``ast.unparse``, so a statement is one line however it was wrapped."""
    import ast
    import inspect
    import sys

    module = ast.parse(inspect.getsource(sys.modules[cls.__module__]))
    mine = {klass.__name__ for klass in cls.__mro__ if klass.__module__ == cls.__module__}
    methods = {
        node.name: node
        for klass in module.body
        if isinstance(klass, ast.ClassDef) and klass.name in mine
        for node in klass.body
        if isinstance(node, ast.FunctionDef)
    }
    functions = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
    found, queue = {}, [methods[name] for name in operations if name in methods]
    while queue:
        node = queue.pop(0)
        if id(node) in found:
            continue
        found[id(node)] = node
        for called in ast.walk(node):
            if isinstance(called, ast.Attribute) and _is_self(called.value):
                queue += [methods[called.attr]] if called.attr in methods else []
            elif isinstance(called, ast.Name) and called.id in functions:
                queue.append(functions[called.id])
    return "\n\n".join(ast.unparse(_without_docstring(node)) for node in found.values())


def _is_self(node) -> bool:
    import ast

    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _without_docstring(function):
    import ast
    import copy

    function = copy.deepcopy(function)
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
        function.body = function.body[1:] or [ast.Pass()]
    return function


def code_lines(text: str) -> int:
    """Lines a user writes: non-blank lines that are not only a comment (# or //)."""
    stripped = (line.strip() for line in text.splitlines())
    return sum(1 for line in stripped if line and not line.startswith(("#", "//")))


def tool_imports(adapter: type, package: str) -> list[str]:
    """Imports of ``package`` (the tool's) in the adapter's module and in the bakeoff
    helper modules it imports: "module" or "module:name", as written."""
    import ast
    import inspect

    found, seen, queue = set(), set(), [inspect.getfile(adapter)]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            for module, names in _imported(node):
                if module.split(".")[0] == package:
                    found.update(f"{module}:{n}" if n else module for n in names)
                elif module.split(".")[0] == "adapters":
                    # the module itself, and any of its names that are modules of ours
                    candidates = [module, *(f"{module}.{n}" for n in names if n)]
                    queue += [origin for c in candidates if (origin := _origin(c))]
    return sorted(found)


def _origin(module: str) -> str | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec and spec.origin and spec.origin.endswith(".py") else None


def _imported(node) -> list[tuple[str, list[str | None]]]:
    import ast

    if isinstance(node, ast.Import):
        return [(alias.name, [None]) for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [(node.module, [alias.name for alias in node.names])]
    return []
