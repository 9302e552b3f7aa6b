"""A plug-in's methods are contained (deploylib.plugins.Contained): what they return too — a generator's steps
and its closing, and a context manager's __enter__ and __exit__. An exception that is not a DeployError becomes
the blamed DeployError on entering or in a step; on leaving or closing, the outcome of what ran stands and the
plug-in's failure is a warning."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deploylib.errors import DeployError, TargetError, ValidationFailed
from deploylib.plugins import Contained


def blame(operation: str, err: Exception) -> DeployError:
    return TargetError(f"failed in {operation}: {type(err).__name__}: {err}")


class Plugin:
    """Raises RuntimeError at `fault`: "enter", "exit" or "step"."""

    def __init__(self, fault: str = "") -> None:
        self.fault, self.left = fault, False

    def _maybe(self, spot: str) -> None:
        if self.fault == spot:
            raise RuntimeError(f"bug at {spot}")

    @contextmanager
    def lock(self) -> Iterator[str]:
        self._maybe("enter")
        try:
            yield "held"
        finally:
            self.left = True
            self._maybe("exit")

    def steps(self) -> Iterator[int]:
        try:
            yield 1
            self._maybe("step")
            yield 2
        finally:
            self._maybe("close")

    def folder(self) -> Path:
        return Path("/tmp")


def test_a_context_manager_that_raises_on_entering_is_blamed_and_its_body_does_not_run() -> None:
    ran = []
    with pytest.raises(TargetError, match="failed in lock: RuntimeError: bug at enter"), \
            Contained(Plugin("enter"), blame).lock():
        ran.append(True)
    assert ran == []


def test_a_context_manager_that_raises_on_leaving_a_body_that_succeeded_is_a_warning(
        capsys: pytest.CaptureFixture[str]) -> None:
    with Contained(Plugin("exit"), blame).lock() as held:
        assert held == "held"
    assert "failed in lock (on leaving it): RuntimeError: bug at exit" in capsys.readouterr().out


@pytest.mark.parametrize("fault", ["", "exit"])
@pytest.mark.parametrize("body_error", [ValidationFailed("rolled back"), KeyboardInterrupt(), ValueError("ours")])
def test_the_bodys_own_exception_stands_whether_or_not_leaving_raises(body_error: BaseException, fault: str) -> None:
    with pytest.raises(type(body_error)) as raised, Contained(Plugin(fault), blame).lock():
        raise body_error
    assert raised.value is body_error


def test_a_context_manager_is_left_when_its_body_raises() -> None:
    plugin = Plugin()
    with pytest.raises(ValidationFailed), Contained(plugin, blame).lock():
        raise ValidationFailed("rolled back")
    assert plugin.left


def test_a_generators_step_that_raises_is_blamed() -> None:
    steps = Contained(Plugin("step"), blame).steps()
    assert next(steps) == 1
    with pytest.raises(TargetError, match="failed in steps: RuntimeError: bug at step"):
        next(steps)


def test_a_generator_that_raises_when_stopped_early_is_a_warning_and_what_stopped_it_stands(
        capsys: pytest.CaptureFixture[str]) -> None:
    steps = Contained(Plugin("close"), blame).steps()
    with pytest.raises(ValidationFailed):
        for _ in steps:
            raise ValidationFailed("the first batch failed its checks")
    steps.close()
    assert "failed in steps (on stopping it): RuntimeError: bug at close" in capsys.readouterr().out


def test_a_path_is_returned_as_it_is_not_as_a_context_manager() -> None:
    assert Contained(Plugin(), blame).folder() == Path("/tmp")
