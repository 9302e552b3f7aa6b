"""The event stream: what the release and deploy paths say happened, and the bus that hands each event to
every output subscribed to it.

The stages, the pipeline and the fast tracks only emit events. The outputs subscribe: the terminal report
(`report.Terminal`, or `live.LiveTerminal` on a terminal), the ledger (`state.ledger.Recorder`),
notifications (`notify.delivery.Notifier`), GitHub Deployments (`forge.deployments.DeploymentStatuses`), the
JSON result (`result.RunResult`) and the GitHub Actions summary (`ci.Actions`). Subscribers are called in
the order they were subscribed, in the thread that emits; an exception in one (a ledger that cannot be
written) propagates to the emitter, as the direct call it replaces did.

The subscribers of the running command are held in a context variable: `subscribed()` adds some for the
length of a `with` block (a doit run adds the terminal and the result; a deploy adds the ledger,
notifications and Deployments). With none subscribed, events go to the plain terminal report on stdout,
so a stage called on its own (a test, a script) prints what it always printed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import Field, dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, cast, dataclass_transform

from deploylib.values import fields_repr

if TYPE_CHECKING:
    from deploylib.model import CheckResult, LedgerAction, LedgerStatus, Outcome, Release


class Mark(StrEnum):
    """A stage line's result, as the terminal shows it."""

    OK = "✓"
    FAIL = "✗"
    SKIP = "–"
    WARN = "!"
    RUNNING = "…"


class _EventClass(type):
    """The type of every event class, which becomes a dataclass when its first event is made rather than as this
    module loads: dataclass() compiles three methods for each class (about 0.25 ms a class on Python 3.11), and a
    run makes few of the seventeen kinds (a GitHub Pages publish only Progress)."""

    _making = threading.Lock()  # two threads making an event class's first events: dataclass() runs once
    _made: bool  # set in a class's own __dict__ once dataclass() has made it

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if "_made" not in vars(cls):
            with _EventClass._making:
                # its event bases first, as declared: dataclass() takes the fields of bases that are dataclasses
                for kind in reversed(cls.__mro__):
                    if isinstance(kind, _EventClass) and kind is not _Event and "_made" not in vars(kind):
                        dataclass(frozen=True, eq=False, repr=False)(cast("type[Any]", kind))
                        # marked once dataclass() is done (it sets __dataclass_fields__ before __init__): another
                        # thread takes the class as made only then
                        kind._made = True
        return super().__call__(*args, **kwargs)


@dataclass_transform(frozen_default=True, eq_default=False, field_specifiers=(field,))
class _Event(metaclass=_EventClass):
    """What every event is: a frozen dataclass, hashed and compared by identity (an ActionFinished refers to
    its ActionStarted, and two alike events are still two). A subclass is made one by being declared (as its
    first event is made: `_EventClass`)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]  # each subclass's own, set by dataclass()

    def __repr__(self) -> str:
        """The dataclass repr, e.g. "Progress(name='pages gh-pages', done=1, total=1, unit='files')": one for
        every event, where dataclass would compile one per class as the module loads."""
        return fields_repr(self, (f.name for f in fields(self) if f.repr))


class StageStarted(_Event):
    """A stage began; `printed` when the plain report shows it as a `…` line (a command that streams output)."""

    name: str
    detail: str = ""
    printed: bool = False


class StageFinished(_Event):
    """A stage's result: one stage line."""

    name: str
    mark: Mark
    detail: str = ""


class Note(_Event):
    """A remark under the stage before it."""

    text: str


class Text(_Event):
    """Text to show exactly as given (release notes, the next version)."""

    text: str


class Output(_Event):
    """One line of a user command's streamed output (tests, build, a command check)."""

    line: str


class Progress(_Event):
    """Part of a long step is done: `done` of `total` `unit`s ("bytes", "files"), e.g. an upload to a host."""

    name: str
    done: int
    total: int
    unit: str


class WindowStarted(_Event):
    """Validation began: `rounds` expected over `duration_s` seconds (0: one round) against `url`."""

    label: str
    url: str
    rounds: int
    duration_s: float
    checks: int


class RoundFinished(_Event):
    """One round of checks ended, `left_s` seconds before the window closes."""

    label: str
    number: int
    results: tuple[CheckResult, ...]
    rounds: int
    left_s: float


class ActionStarted(_Event):
    """An action to record in the ledger began (`notice`: how a notification words it, "" for none)."""

    action: LedgerAction
    environment: str
    version: str
    digest: str
    commit: str
    actor: str
    details: dict[str, Any] = field(default_factory=dict)
    notice: str = ""


class ActionFinished(_Event):
    """An action ended: the one `started` in this run, or ledger row `row` left by an earlier run."""

    started: ActionStarted | None
    status: LedgerStatus
    details: dict[str, Any] = field(default_factory=dict)
    row: int = 0


class Switched(_Event):
    """Traffic moved to `release` on (part of) an environment."""

    environment: str
    step: str
    previous: Release | None
    release: Release


class RolledBack(_Event):
    """`restored` is live again on `environment` in place of `replaced` (a release, or what was serving)."""

    environment: str
    replaced: str
    restored: Release


class IncidentWritten(_Event):
    """An incident report of a failed validation was written at `path`."""

    path: str


class Planned(_Event):
    """A dry run's answer: the next version (or none) and its tag."""

    version: str
    tag: str
    is_release: bool


class Finished(_Event):
    """How a deploy, rollback, validation or promotion ended, with the summary block's rows.

    `release` is the release the command was about (deployed, restored, validated); `notice` is the
    message notifications send about `notify_about` (the release serving after a rollback)."""

    command: str
    outcome: Outcome
    environment: str
    version: str
    digest: str
    rows: tuple[tuple[str, str], ...] = ()
    notice: str = ""
    notify_about: Release | None = None
    url: str = ""
    tag: str = ""
    release_url: str = ""


class Failed(_Event):
    """The run stopped with `message` and `exit_code` (a DeployError's)."""

    message: str
    exit_code: int


class Identified(_Event):
    """What the run is about, told as soon as it is known so that a run stopped before its end still says it
    (the JSON result, the GitHub Actions outputs): the environment, the release (version, tag, digest) and
    the environment's configured url. An empty field says nothing (not known here)."""

    environment: str = ""
    version: str = ""
    tag: str = ""
    digest: str = ""
    url: str = ""


Event = (StageStarted | StageFinished | Note | Text | Output | Progress | WindowStarted | RoundFinished | ActionStarted
         | ActionFinished | Switched | RolledBack | IncidentWritten | Planned | Finished | Failed | Identified)
Subscriber = Callable[[Any], None]

_subscribers: ContextVar[tuple[Subscriber, ...]] = ContextVar("deploylib_subscribers", default=())


def _active() -> tuple[Subscriber, ...]:
    """The subscribers of the running command; the plain terminal report when nothing subscribed one."""
    subscribers = _subscribers.get()
    if subscribers:
        return subscribers
    from deploylib.report import Terminal

    return (Terminal(),)


def emit(event: Event) -> None:
    """Hand `event` to every subscriber of the running command, in order."""
    for subscriber in _active():
        subscriber(event)


@contextlib.contextmanager
def subscribed(*subscribers: Subscriber) -> Iterator[None]:
    """Add `subscribers` for the length of the block (after those already subscribed)."""
    close = open_run(*subscribers)
    try:
        yield
    finally:
        close()


def open_run(*subscribers: Subscriber, replace: bool = False) -> Callable[[], None]:
    """Subscribe `subscribers` (in place of the default terminal with `replace`) until the returned function
    is called: a doit run opens in one reporter callback and closes in another, so it cannot be a block."""
    token = _subscribers.set((*(() if replace else _active()), *subscribers))
    return lambda: _subscribers.reset(token)
