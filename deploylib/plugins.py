"""Plug-in points: a configuration names a kind (`type = "ssh"`, `kind = "smoke"`, …) and a `Registry`
maps it to a class. Every plug-in point is declared at the end of this module (TARGETS, CHECKS, FORGES,
NOTIFIERS): its entry-point group, the base class its kinds subclass, and its built-in kinds as import
paths, imported only when a configuration uses them. Adding a built-in kind is a module and one line there.
Other kinds come from installed distributions' entry points (the packaging spec's entry_points.txt, as
pytest and commitizen read theirs); an entry point's name is the kind and its value the class, e.g.
`mytarget = "acme_deploy:MyTarget"` in the group deploylib.targets.
Entry points are read only when a configuration names a kind that is not built in: listing every
installed distribution costs tens of milliseconds, which the no-op deploy must not pay.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Generator
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from deploylib.errors import ConfigError, DeployError
from deploylib.values import frozen

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from deploylib.forge.base import Forge
    from deploylib.notify.base import Notifier
    from deploylib.targets.base import Target
    from deploylib.validate.base import Check

T = TypeVar("T")
R = TypeVar("R")

# (operation, the exception) -> the DeployError saying which plug-in failed in it
Blame = Callable[[str, Exception], DeployError]


@frozen
class Registry(Generic[T]):
    """The kinds of one plug-in point: `builtin` maps a kind to "module:Class"; `group` is the entry-point
    group third-party kinds are installed under; every class must subclass `base` ("module:Class" too, so
    that naming a registry imports nothing)."""

    group: str
    base: str
    builtin: dict[str, str]
    options_attr: str = "Options"  # the class attribute holding its options dataclass; "": the class itself is one

    def load(self, kind: str) -> type[T] | None:
        """The class of `kind`, or None when neither deploylib nor an installed plug-in provides it.

        Raises ConfigError when distributions disagree on the kind's class, or the plug-in providing it cannot be
        imported, is not a `base` subclass, has no options dataclass of its own, or options that are not frozen or
        do not subclass its point's (ForgeOptions, NotifierOptions)."""
        if kind in self.builtin:
            cls: type[T] = _imported(self.builtin[kind])
            return cls
        points = _installed(self.group).get(kind)
        if points is None:
            return None
        point = points[0]
        if len(points) > 1:
            raise ConfigError(f'the kind "{kind}" is installed by more than one distribution, so deploylib cannot '
                              f"tell which is meant: {'; '.join(_where(p, self.group) for p in points)}. Uninstall "
                              "all but one of them (pip uninstall NAME).")
        cls = _plugin_class(point, self.group, _imported(self.base))
        options = getattr(cls, self.options_attr, None) if self.options_attr else cls
        if not (isinstance(options, type) and "__dataclass_fields__" in vars(options)):  # declared, not inherited
            fix = (f"give {cls.__qualname__} an {self.options_attr} class decorated with @dataclass(frozen=True, "
                   "kw_only=True)" if self.options_attr else
                   f"decorate {cls.__qualname__} with @dataclass(frozen=True, kw_only=True)")
            raise ConfigError(f"{_where(point, self.group)} has no options dataclass, so deploylib cannot read the "
                              f"rest of its table: {fix} (README: Writing a plug-in).")
        problem = _options_problem(options, getattr(_imported(self.base), self.options_attr, None))
        if not problem:
            from deploylib.config.schema import declared_problem  # imported already by the configuration

            problem = declared_problem(options)
        if problem:
            raise ConfigError(f"{_where(point, self.group)} {problem} (README: Writing a plug-in).")
        return cls

    def options(self, cls: type[T]) -> type:
        """The dataclass a class of this registry reads the rest of its table into (`load` made sure there is one)."""
        options: type = getattr(cls, self.options_attr) if self.options_attr else cls
        return options

    def known(self) -> tuple[str, ...]:
        """Every kind: the built-in ones, then the installed plug-ins' (this reads the entry points)."""
        return (*self.builtin, *sorted(k for k in _installed(self.group) if k not in self.builtin))

    def hint(self, kind: str = "") -> str:
        """How to add a kind, for the message naming an unknown one; when an installed entry point named `kind` is
        in another deploylib group (a typo, "deploylib.target", or another plug-in point), it names that too."""
        misplaced = _elsewhere(kind, self.group) if kind else ""
        return (f"a plug-in adds one by an entry point in the group {self.group} (see README: Writing a plug-in)"
                + (f"; {misplaced} is not in that group: move it there in its distribution's entry points, and "
                   "reinstall it" if misplaced else ""))


def _options_problem(options: type, common: object) -> str:
    """What is wrong with a plug-in's options dataclass `options`, as the rest of a sentence naming the plug-in
    with the fix; "" when nothing. `common` is the options class of its plug-in point (`ForgeOptions`,
    `NotifierOptions`), whose keys and methods deploylib reads from every kind's options; None for none.
    Options are frozen: the configuration is read once and shared, never changed."""
    params = getattr(options, "__dataclass_params__", None)
    if isinstance(common, type) and not issubclass(options, common):
        return (f"has options {options.__qualname__} that do not subclass {common.__module__}.{common.__qualname__}, "
                f"whose keys every kind has: declare class {options.__qualname__}({common.__qualname__})")
    if params is None or not params.frozen:
        return (f"has options {options.__qualname__} that are not frozen: decorate them with "
                "@dataclass(frozen=True, kw_only=True)")
    return ""


def _imported(path: str) -> type:
    """The class at "module:Class"."""
    module, _, name = path.partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


@functools.cache
def _installed(group: str) -> dict[str, tuple[EntryPoint, ...]]:
    """The entry points of `group` in every installed distribution, by name: each different one naming it, in the
    order importlib.metadata finds distributions (one distribution installed twice on sys.path counts once). Read
    once per process."""
    from importlib.metadata import entry_points

    found: dict[str, tuple[EntryPoint, ...]] = {}
    for point in entry_points(group=group):
        same = found.get(point.name, ())
        if all(point.value != other.value for other in same):
            found[point.name] = (*same, point)
    return found


def _elsewhere(kind: str, group: str) -> str:
    """The installed entry points named `kind` in a group of deploylib's other than `group` (its name begins with
    "deploylib"), each as `_where` names it, joined; "" for none. Reads every entry point: asked only when a
    configuration names a kind found nowhere."""
    from importlib.metadata import distributions

    found = [_where(point, point.group) for dist in distributions() for point in dist.entry_points
             if point.name == kind and point.group != group and point.group.lower().startswith("deploylib")]
    return "; ".join(dict.fromkeys(found))  # a distribution found twice on sys.path is named once


def _where(point: EntryPoint, group: str) -> str:
    where = f"the entry point {point.name} = {point.value!r} in the group {group}"
    if point.dist is not None:
        where += f" (installed by {point.dist.name} {point.dist.version})"
    return where


def _plugin_class(point: EntryPoint, group: str, base: type) -> type:
    where = _where(point, group)
    try:
        loaded = point.load()
    except Exception as err:  # a plug-in's import can fail in any way: name it, no traceback
        raise ConfigError(f"{where} cannot be loaded: {type(err).__name__}: {err}. Fix or reinstall that "
                          "distribution, or choose another kind.") from None
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        raise ConfigError(f"{where} is {loaded!r}, not a subclass of {base.__module__}.{base.__qualname__}. "
                          "Fix that distribution's entry point.")
    return loaded


# The types an operation's answer may have, them in words for the message, and the types of its items when it is
# a list or tuple (() for any): ((str,), "a str", ()), ((list,), "a list of Release", (Release,)).
Answer = tuple[tuple[type, ...], str, tuple[type, ...]]


class WrongAnswer(TypeError):
    """A plug-in's operation answered with a value its interface does not give (42 where a Release is due): a
    bug in it, blamed as an exception it raised. Its text is the whole explanation (see `fault`)."""


def fault(err: Exception) -> str:
    """What a plug-in did wrong, for a blame message: "it raised KeyError: 'x'", or a WrongAnswer's own words."""
    return str(err) if isinstance(err, WrongAnswer) else f"it raised {type(err).__name__}: {err}"


def answered(value: R, answer: Answer | None, subject: str = "it") -> R:
    """`value` when it has one of `answer`'s types (or `answer` is None); else raises WrongAnswer saying what came
    and what was due, from `subject` ("it": the operation blamed; "releases()": a method it called)."""
    if answer is None:
        return value
    types, due, items = answer
    if isinstance(value, types):
        listed: Any = value  # a list or tuple when `items` is given
        wrong = [item for item in listed if not isinstance(item, items)] if items else []
        if not wrong:
            return value
        value = wrong[0]  # the item is what is wrong: name it
        due = f"{due} of {' or '.join(t.__name__ for t in items)}"
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    raise WrongAnswer(f"{subject} returned {shown} ({type(value).__name__}) where {due} is due (README: Writing a "
                      "plug-in)")


def contained(blame: Blame, operation: str, call: Callable[..., R], *args: Any, answer: Answer | None = None) -> R:
    """`call(*args)`, the operation `operation` of a plug-in (or built-in kind). Its DeployErrors pass as they
    are; any other exception is a bug in that kind (its interface allows only deploylib's errors: README,
    Writing a plug-in) and becomes `blame(operation, exception)`, so the stage fails with a message, never
    with a traceback; so does an answer without one of `answer`'s types (a WrongAnswer). Ctrl-C and SIGTERM
    (BaseException) pass."""
    try:
        return answered(call(*args), answer)
    except DeployError:
        raise
    except Exception as err:
        raise blame(operation, err) from None


class Contained:
    """`inner` with every method called through `contained`; what a method returns is contained too: each step
    of a generator (a target's `rollout`), and the `__enter__` and `__exit__` of a context manager (a target's
    `lock` and `serve`; see `_Context`). Attributes that are not callable pass as they are.

    `answers` holds the types the interface gives, by method name: the answer itself (`"live"`), a step of the
    generator it returns (`"rollout step"`), and the value its context manager yields (`"serve value"`); an
    answer of another type is blamed as a WrongAnswer."""

    def __init__(self, inner: object, blame: Blame, answers: dict[str, Answer] | None = None) -> None:
        self._inner, self._blame, self._answers = inner, blame, answers or {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def call(*args: Any, **options: Any) -> Any:
            result = contained(self._blame, name, functools.partial(value, **options), *args,
                               answer=self._answers.get(name))
            if isinstance(result, GeneratorType):
                return _steps(self._blame, name, result, self._answers.get(f"{name} step"))
            if hasattr(result, "__exit__") and not hasattr(result, "__fspath__"):  # Python 3.11's Path has __exit__
                return _Context(result, self._blame, name, self._answers.get(f"{name} value"))
            return result

        return call


class _Context:
    """A context manager a plug-in's `operation` returned (a target's `lock`, `serve`), contained. An exception
    from its `__enter__` that is not a DeployError becomes `blame(operation, …)`: nothing inside ran. One
    from its `__exit__` (its work, e.g. a deploy, is done or failed by then) does not change the outcome: the
    body's own exception passes as it is, or, when the body succeeded, the run does; the plug-in's failure
    is reported as a warning naming it. A DeployError the `__exit__` raises after a successful body is the
    plug-in's answer and passes."""

    def __init__(self, inner: Any, blame: Blame, operation: str, answer: Answer | None = None) -> None:
        self._inner, self._blame, self._operation, self._answer = inner, blame, operation, answer

    def __enter__(self) -> Any:
        try:
            return answered(contained(self._blame, self._operation, self._inner.__enter__), self._answer)
        except WrongAnswer as err:  # entered: leave it before blaming what it yielded
            self._inner.__exit__(None, None, None)
            raise self._blame(self._operation, err) from None

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, traceback: Any) -> Any:
        try:
            return self._inner.__exit__(kind, value, traceback)
        except Exception as err:
            if err is value or (value is None and isinstance(err, DeployError)):
                raise
            from deploylib import report  # only when a plug-in failed: the no-op path imports nothing more

            said = str(err) if isinstance(err, DeployError) else str(self._blame(f"{self._operation} (on leaving "
                                                                                  "it)", err))
            report.stage(report.WARN, self._operation, said)
            return False


def _steps(blame: Blame, operation: str, steps: Generator[Any, None, None],
           answer: Answer | None = None) -> Generator[Any, None, None]:
    """`steps`, each advanced as `contained` calls do (and of one of `answer`'s types); closing this closes them."""
    try:
        while True:
            try:
                step = answered(next(steps), answer)
            except StopIteration:
                return
            except DeployError:
                raise
            except Exception as err:
                raise blame(operation, err) from None
            yield step
    finally:
        _close(blame, operation, steps)


def _close(blame: Blame, operation: str, steps: Generator[Any, None, None]) -> None:
    """Close a plug-in's generator stopped early (a rollout cut short by a failed validation or an error): a
    failure in its own clean-up, as on leaving a context manager (`_Context`), does not replace what stopped
    it and is reported as a warning naming the plug-in."""
    try:
        steps.close()
    except Exception as err:
        from deploylib import report  # only when a plug-in failed: the no-op path imports nothing more

        said = str(err) if isinstance(err, DeployError) else str(blame(f"{operation} (on stopping it)", err))
        report.stage(report.WARN, operation, said)


# The plug-in points. A check is its own options dataclass (options_attr=""); the others hold theirs in `Options`.
TARGETS: Registry[Target] = Registry("deploylib.targets", "deploylib.targets.base:Target", {
    "local": "deploylib.targets.local:LocalTarget",
    "command": "deploylib.targets.command:CommandTarget",
    "github-pages": "deploylib.targets.ghpages:PagesTarget",
    "ssh": "deploylib.targets.ssh:SshTarget",
})
CHECKS: Registry[Check] = Registry("deploylib.checks", "deploylib.validate.base:Check", {
    "smoke": "deploylib.validate.smoke:SmokeCheck",
    "flow": "deploylib.validate.flow:FlowCheck",
    "assets": "deploylib.validate.assets:AssetsCheck",
    "page": "deploylib.validate.assets:PageCheck",
    "load": "deploylib.validate.load:LoadCheck",
    "browser": "deploylib.validate.browser:BrowserCheck",
    "command": "deploylib.validate.command:CommandCheck",
}, options_attr="")
FORGES: Registry[Forge] = Registry("deploylib.forges", "deploylib.forge.base:Forge", {
    "github": "deploylib.forge.github:GitHub",
})
NOTIFIERS: Registry[Notifier] = Registry("deploylib.notifiers", "deploylib.notify.base:Notifier", {
    "json": "deploylib.notify.json:JsonNotifier",
    "slack": "deploylib.notify.slack:SlackNotifier",
})
