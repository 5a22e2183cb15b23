"""What every adapter shares: setup-step recording, errors, and the failure wrapper.

Each stage defines one small ABC on top of :class:`Adapter` (``adapters/<stage>/base.py``)
whose ``operations`` name the methods a user would time. Those methods are wrapped once,
here, so any tool exception becomes one :class:`AdapterError` naming the stage, the tool
and the operation; adapters never write that try/except themselves.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


class AdapterError(RuntimeError):
    """A tool failed during an operation; ``__cause__`` holds the tool's own exception."""

    def __init__(self, stage: str, tool: str, operation: str, cause: BaseException):
        super().__init__(f"{stage}.{tool} failed in {operation}: {_summary(cause)}")
        self.stage, self.tool, self.operation = stage, tool, operation


def _summary(cause: BaseException) -> str:
    """The cause's first line; for an error raised in Spark's JVM (Py4J's first line only
    says which call failed, "An error occurred while calling o221.count."), also the Java
    exception's line, which says why (e.g. an OutOfMemoryError)."""
    lines = [line.strip() for line in str(cause).strip().splitlines() if line.strip()]
    if not lines:
        return type(cause).__name__
    if lines[0].startswith("An error occurred while calling") and len(lines) > 1:
        java = lines[1].lstrip(": ")
        return f"{lines[0]} {java if len(java) <= 400 else java[:150] + ' ... ' + java[-250:]}"
    return lines[0]


class NotSupported(RuntimeError):
    """The tool has no such feature here; recorded as a missing feature, not a failure."""

    def __init__(self, tool: str, operation: str, reason: str = ""):
        detail = f": {reason}" if reason else ""
        super().__init__(f"{operation} is not supported by {tool}{detail}")
        self.tool, self.operation, self.reason = tool, operation, reason


class NotRunnable(RuntimeError):
    """The tool cannot run on this machine; the message is the one-sentence reason."""


class ToolFailed(RuntimeError):
    """The tool failed with an error of its own (an unhandled exception in its log, in its
    words): a finding about the tool, not a bakeoff bug; nothing of the adapter can be
    checked on such a run."""


_PASS_THROUGH = (AdapterError, NotSupported, NotRunnable, KeyboardInterrupt)


@dataclass(frozen=True)
class SetupStep:
    """One setup action the adapter really executed, with how long it took."""

    description: str
    seconds: float


class Adapter:
    """Base of every stage interface. Subclasses set ``stage``, ``name``, ``operations``."""

    stage: ClassVar[str] = ""
    name: ClassVar[str] = ""
    operations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, workdir: Path | None = None):
        self._tempdir = None if workdir else tempfile.TemporaryDirectory(prefix="bakeoff-")
        self.workdir = Path(workdir or self._tempdir.name)
        self.setup_steps: list[SetupStep] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for operation in ("setup", *cls.operations):
            method = cls.__dict__.get(operation)
            if method is not None and not getattr(method, "_wrapped", False):
                setattr(cls, operation, _wrap(method, operation))

    def explained(self, error: Exception) -> Exception:
        """The error as the user should read it (an adapter whose tool hides the real cause
        behind another error overrides this); by default, the error itself."""
        return error

    def errors_read_past(self) -> list[list]:
        """The tool's own errors bakeoff met and went on past (a read of its state tried
        again, say), as ``[operation, the tool's words, count]``: recorded with the trial and
        shown in the report, never hidden. None by default."""
        return []

    def step(self, description: str, action: Callable[[], object] | None = None):
        """Run ``action`` (if given) and record it as one executed setup step."""
        started = time.perf_counter()
        result = action() if action else None
        self.setup_steps.append(SetupStep(description, time.perf_counter() - started))
        return result

    def not_supported(self, operation: str, reason: str = "") -> NotSupported:
        return NotSupported(self.name, operation, reason)

    def setup(self) -> None:
        """Prepare the tool (contexts, configs, servers), recording steps with ``step``."""

    def close(self) -> None:
        """Stop whatever ``setup`` started and remove temporary files. Safe to call twice."""
        if self._tempdir is not None:
            self._tempdir.cleanup()

    def __enter__(self):
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _wrap(method: Callable, operation: str) -> Callable:
    @functools.wraps(method)
    def wrapper(self: Adapter, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _PASS_THROUGH:
            raise
        except Exception as error:
            cause = self.explained(error)
            raise AdapterError(self.stage, self.name, operation, cause) from error

    wrapper._wrapped = True
    return wrapper
