"""What a user writes to use a tool, read from the adapter's own source: the stage's
operations as the tool's adapter implements them, without bakeoff's glue."""

from __future__ import annotations


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
