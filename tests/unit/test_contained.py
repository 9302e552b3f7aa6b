"""A plug-in's methods are contained (deploylib.plugins.Contained): what they return too — a generator's steps
and its closing, and a context manager's __enter__ and __exit__. An exception that is not a DeployError becomes
the blamed DeployError on entering or in a step; on leaving or closing, the outcome of what ran stands and the
plug-in's failure is a warning. An answer of a type the interface does not give is blamed as a WrongAnswer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deploylib import forge, targets
from deploylib.errors import DeployError, TargetError, ValidationFailed
from deploylib.forge.base import Forge
from deploylib.plugins import Answer, Contained, WrongAnswer, answered, fault
from deploylib.targets.base import Kept, Target


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


# What a plug-in's method answers must have the type its interface gives: a traceback later (42 has no .id, 42 is
# not iterable) before, far from the plug-in.
TEXT: Answer = ((str,), "a str", ())
NAMES: Answer = ((list,), "a list", (str,))


@pytest.mark.parametrize(("value", "answer", "wrong"), [
    ("ok", TEXT, ""),
    (None, None, ""),  # no answer declared: anything goes
    (["a", "b"], NAMES, ""),
    (42, TEXT, "it returned 42 (int) where a str is due (README: Writing a plug-in)"),
    (None, TEXT, "it returned None (NoneType) where a str is due"),
    (["a", 7], NAMES, "it returned 7 (int) where a list of str is due"),
    ("x" * 100, NAMES, "it returned '" + "x" * 78 + "… (str) where a list is due"),
])
def test_an_answer_of_a_type_the_interface_does_not_give_is_a_wrong_answer(value: object, answer: Answer | None,
                                                                           wrong: str) -> None:
    if not wrong:
        assert answered(value, answer) is value
        return
    with pytest.raises(WrongAnswer) as raised:
        answered(value, answer)
    assert wrong in fault(raised.value)


class Wrong:
    """Answers 42 where its interface gives a str, yields 42 from its context manager and its generator."""

    def __init__(self) -> None:
        self.left = False

    def describe(self) -> object:
        return 42

    @contextmanager
    def serve(self) -> Iterator[object]:
        try:
            yield 42
        finally:
            self.left = True

    def rollout(self) -> Iterator[object]:
        yield 42


def named(operation: str, err: Exception) -> DeployError:
    return TargetError(f"failed in {operation}: {fault(err)}")


ANSWERS = {"describe": TEXT, "serve value": TEXT, "rollout step": TEXT}


def test_a_method_answering_a_wrong_type_is_blamed() -> None:
    with pytest.raises(TargetError, match=r"failed in describe: it returned 42 \(int\) where a str is due"):
        Contained(Wrong(), named, ANSWERS).describe()


def test_a_context_manager_yielding_a_wrong_type_is_blamed_once_left() -> None:
    plugin, ran = Wrong(), []
    with pytest.raises(TargetError, match=r"failed in serve: it returned 42 \(int\) where a str is due"), \
            Contained(plugin, named, ANSWERS).serve():
        ran.append(True)
    assert ran == [] and plugin.left


def test_a_generator_step_of_a_wrong_type_is_blamed() -> None:
    with pytest.raises(TargetError, match=r"failed in rollout: it returned 42 \(int\) where a str is due"):
        next(Contained(Wrong(), named, ANSWERS).rollout())


@pytest.mark.parametrize(("answers", "interface"), [(targets._answers, Target), (forge._answers, Forge)])
def test_every_declared_answer_names_a_method_of_the_interface(answers: Callable[[], dict[str, Answer]],
                                                               interface: type) -> None:
    assert all(callable(getattr(interface, name.split()[0], None)) for name in answers())


@pytest.mark.parametrize(("live", "releases", "said"), [
    (42, [], r"live\(\) returned 42 \(int\) where a Release or None is due"),
    (None, 42, r"releases\(\) returned 42 \(int\) where a list is due"),
    (None, [None], r"releases\(\) returned None \(NoneType\) where a list of Release is due"),
])
def test_what_a_target_reads_for_kept_is_checked_as_its_answers_are(live: object, releases: object, said: str) -> None:
    with pytest.raises(WrongAnswer, match=said):
        Kept(live, releases)  # type: ignore[arg-type]  # the bug under test
