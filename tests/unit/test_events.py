"""The event stream: the bus, the plain report's lines, the ledger's subscriber, the run result and
GitHub Actions' workflow commands, each from events alone."""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib import ci, events
from deploylib.model import CheckResult, LedgerAction, LedgerStatus, Outcome, Severity, Verdict
from deploylib.report import Terminal
from deploylib.result import RunResult
from deploylib.state.ledger import Ledger, Recorder

PASSED = CheckResult("home", Verdict.PASS, "200", "200", 0.012)
FAILED = CheckResult("about", Verdict.FAIL, "status 200", "status 404", 0.02)
MINOR = CheckResult("logo", Verdict.ERROR, "status 200", "connection refused", 0.5, Severity.MINOR)


@pytest.mark.parametrize(("event", "lines"), [
    (events.StageFinished("gate tests", events.Mark.OK, "passed in 0.12 s"),
     ["  ✓ gate tests             passed in 0.12 s"]),
    (events.StageFinished("cleanup", events.Mark.WARN), ["  ! cleanup"]),
    (events.StageStarted("build", "running make", printed=True), ["  … build                  running make"]),
    (events.StageStarted("deploy:production", "uploading"), []),  # the live line only
    (events.Note("warning: slow"), ["    warning: slow"]),
    (events.Output("ok 1 test"), ["    │ ok 1 test"]),
    (events.Text("next version: 1.2.0"), ["next version: 1.2.0"]),
    (events.RoundFinished("validate", 1, (PASSED, FAILED), 3, 20.0),
     ["  ✓ validate home          12 ms", "  ✗ validate about         fail: status 404", "    expected status 200"]),
    (events.RoundFinished("validate", 2, (PASSED, FAILED), 3, 10.0),
     ["  ✗ validate round 2 about fail: status 404", "    expected status 200"]),
    (events.Finished("deploy", Outcome.LIVE, "production", "1.0.0", "sha256:ab", (("status", "live"),)),
     ["  " + "─" * 64, "  status     live", "  " + "─" * 64]),
    (events.Switched("production", "", None, None), []),  # type: ignore[arg-type]
])
def test_the_plain_report_prints_one_event_as_todays_lines(event: object, lines: list[str]) -> None:
    assert Terminal.lines(event) == lines


@pytest.mark.parametrize(("event", "shown"), [
    (events.Progress("pages", 1, 2, "files"), "Progress(name='pages', done=1, total=2, unit='files')"),
    (events.Note("hello"), "Note(text='hello')"),
])
def test_an_event_shows_itself_as_a_dataclass_does(event: object, shown: str) -> None:
    assert repr(event) == shown


def test_subscribers_hear_events_in_order_and_only_inside_their_block(capsys: pytest.CaptureFixture[str]) -> None:
    heard: list[tuple[str, object]] = []
    note = events.Note("hello")
    with events.subscribed(lambda e: heard.append(("first", e)), lambda e: heard.append(("second", e))):
        events.emit(note)
    events.emit(events.Note("after"))
    assert heard == [("first", note), ("second", note)]
    assert capsys.readouterr().out == "    hello\n    after\n"  # the default plain report stays subscribed


def test_an_output_that_fails_stops_the_emitter() -> None:
    def broken(event: object) -> None:
        raise OSError("disk full")

    with events.subscribed(broken), pytest.raises(OSError):
        events.emit(events.Note("x"))


def test_the_ledger_subscriber_opens_a_row_on_start_and_closes_it_on_finish(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    record = Recorder(ledger)
    started = events.ActionStarted(LedgerAction.DEPLOY, "production", "1.0.0", "sha256:ab", "c0ffee", "me", {"x": 1})
    record(started)
    assert [e.status for e in ledger.entries()] == [LedgerStatus.RUNNING]
    record(events.ActionFinished(started, LedgerStatus.ROLLED_BACK, {"reasons": ["home: fail"]}))
    (entry,) = ledger.entries()
    assert (entry.action, entry.status, entry.details["reasons"], entry.details["x"]) == \
        (LedgerAction.DEPLOY, "rolled-back", ["home: fail"], 1)


@pytest.mark.parametrize(("stream", "outcome", "code"), [
    ([], Outcome.UNCHANGED, 0),
    ([events.Failed("gate failed", 1)], Outcome.FAILED, 1),
    ([events.Failed("interrupted", 130)], Outcome.INTERRUPTED, 130),
    ([events.Finished("deploy", Outcome.ROLLED_BACK, "production", "1.1.0", "sha256:ab"),
      events.Failed("rolled back", 4)], Outcome.ROLLED_BACK, 4),
    ([events.Planned("1.2.0", "v1.2.0", True)], Outcome.PLANNED, 0),
    ([events.Planned("", "", False)], Outcome.NOTHING, 0),
])
def test_the_result_says_how_the_run_ended(stream: list[object], outcome: Outcome, code: int) -> None:
    result = RunResult("deploy:production")
    for event in stream:
        result(event)
    assert (result.to_dict()["outcome"], result.to_dict()["exit_code"]) == (outcome.value, code)


ID = events.Identified
DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("stream", "known"), [
    ([ID("production", url="https://example.com")], ("production", "", "", "", "https://example.com")),
    ([ID("production", url="https://example.com"), ID(version="1.2.0", tag="v1.2.0")],
     ("production", "1.2.0", "v1.2.0", "", "https://example.com")),  # a stage adds what it knows
    ([ID(version="1.2.0", tag="v1.2.0"), ID(version="1.2.0", tag="v1.2.0", digest=DIGEST), ID()],
     ("production", "1.2.0", "v1.2.0", DIGEST, "")),  # an empty field takes nothing away
    ([ID(version="1.2.0", tag="v1.2.0"), ID(version="1.2.0+abc1234")],
     ("production", "1.2.0+abc1234", "", "", "")),  # a version brings its tag: none for an untagged build
    ([ID("test", url="http://test"), ID("production", url="http://production")],
     ("production", "", "", "", "http://production")),  # the environment named last
    ([ID("production", url="http://production"), ID("test")],
     ("test", "", "", "", "")),  # another environment: production's url does not stay with it
    ([ID("production", url="http://production"), ID("production"), ID(version="1.2.0", tag="v1.2.0")],
     ("production", "1.2.0", "v1.2.0", "", "http://production")),  # the same one: its url stays
])
def test_a_failed_run_keeps_what_was_identified_before_it_stopped(stream: list[object],
                                                                 known: tuple[str, ...]) -> None:
    result = RunResult("deploy:production")
    for event in stream:
        result(event)
    result(events.Failed("gate failed", 1))
    got = result.to_dict()
    assert (got["environment"], got["version"], got["tag"], got["digest"], got["urls"]["environment"]) == known
    assert ci.outputs(got) == {"version": known[1], "tag": known[2], "digest": known[3], "url": known[4],
                               "outcome": "failed"}


def test_a_stage_lasts_from_its_start_or_from_the_stage_before() -> None:
    ticks = iter([0.0, 1.0, 1.5, 4.0, 4.0])
    result = RunResult("release", clock=lambda: next(ticks))
    result(events.StageFinished("gate tests", events.Mark.OK))  # at 1.0: since the run began
    result(events.StageStarted("build", printed=True))  # at 1.5
    result(events.StageFinished("build", events.Mark.FAIL, "exit 1"))  # at 4.0
    assert [(s["name"], s["result"], s["duration_s"]) for s in result.stages] == \
        [("gate tests", "passed", 1.0), ("build", "failed", 2.5)]


def test_each_check_says_the_environment_it_ran_against() -> None:
    result = RunResult("deploy:production")
    for environment, label in (("test", "validate"), ("test", "re-validate"), ("production", "validate")):
        result(events.ActionStarted(LedgerAction.VALIDATE, environment, "1.0.0", "sha256:ab", "abc", "me"))
        result(events.RoundFinished(label, 1, (PASSED,), 1, 0.0))
    assert [(c["environment"], c["phase"]) for c in result.to_dict()["checks"]] == \
        [("test", "validate"), ("test", "re-validate"), ("production", "validate")]
    assert "| home | production | validate | 1 | pass |" in ci.summary_markdown(result.to_dict())


@pytest.mark.parametrize(("stream", "stages"), [
    ([events.StageFinished("version", events.Mark.OK), events.StageStarted("build", printed=True)],
     [("version", "passed", ""), ("build", "failed", "build failed")]),  # the build it was running
    ([events.StageStarted("deploy:test"), events.StageFinished("deploy:test", events.Mark.OK),
      events.StageStarted("run:test", printed=True)],
     [("deploy:test", "passed", ""), ("run:test", "failed", "build failed")]),  # a command target's command
    ([events.StageStarted("run:test", printed=True), events.StageFinished("switch:test", events.Mark.OK)],
     [("switch:test", "passed", ""), ("deploy:test", "failed", "build failed")]),  # not run: what stopped, its task
    ([events.StageFinished("gate ahead", events.Mark.OK)],
     [("gate ahead", "passed", ""), ("deploy:test", "failed", "build failed")]),  # refused before any stage of its own
    ([events.StageFinished("gate tests", events.Mark.FAIL, "exit 1")],
     [("gate tests", "failed", "exit 1")]),  # its own line failed it: not told twice
    ([events.Finished("deploy", Outcome.ROLLED_BACK, "test", "1.0.0", "sha256:ab")], []),  # an outcome told
])
def test_a_stage_running_when_the_run_stops_failed_with_its_message(stream: list[object],
                                                                    stages: list[tuple[str, str, str]]) -> None:
    result = RunResult("deploy:test", running=lambda: "deploy:test")
    for event in stream:
        result(event)
    result(events.Failed("build failed", 1))
    assert [(s["name"], s["result"], s["detail"]) for s in result.to_dict()["stages"]] == stages


@pytest.mark.parametrize(("kind", "message", "title", "line"), [
    ("error", "exited with code 1", "gate tests", "::error title=gate tests::exited with code 1"),
    ("warning", "50% slower\nsee log", "", "::warning::50%25 slower%0Asee log"),
    ("error", "x", "validate a:b,c", "::error title=validate a%3Ab%2Cc::x"),
])
def test_workflow_commands_are_escaped_as_the_runner_reads_them(kind: str, message: str, title: str,
                                                                line: str) -> None:
    assert ci.command(kind, message, title) == line


def test_failed_gates_and_checks_are_annotated_once_and_output_is_folded() -> None:
    stream = io.StringIO()
    actions = ci.Actions(stream)
    for event in [events.StageStarted("gate tests", "running pytest", printed=True), events.Output("1 failed"),
                  events.StageFinished("gate tests", events.Mark.FAIL, "exited with code 1"),
                  events.RoundFinished("validate", 1, (PASSED, FAILED, MINOR), 2, 5.0),
                  events.RoundFinished("validate", 2, (PASSED, FAILED, MINOR), 2, 0.0)]:
        actions(event)
    assert stream.getvalue().splitlines() == [
        "::group::gate tests: running pytest", "::endgroup::",
        "::error title=gate tests::exited with code 1",
        "::error title=validate about::fail: status 404 (expected status 200)",
        "::warning title=validate logo::error: connection refused (expected status 200)"]


def test_command_checks_output_is_folded_by_round() -> None:
    stream = io.StringIO()
    actions = ci.Actions(stream)
    for event in [events.WindowStarted("validate", "http://x", 2, 5.0, 1), events.Output("e2e: 1 passed"),
                  events.Output("e2e: done"), events.RoundFinished("validate", 1, (PASSED,), 2, 5.0),
                  events.Output("e2e: 1 passed"), events.RoundFinished("validate", 2, (PASSED,), 2, 0.0)]:
        actions(event)
    assert stream.getvalue().splitlines() == ["::group::validate: command output", "::endgroup::"] * 2


@pytest.mark.parametrize(("lines", "commands"), [
    (["- the old api is gone\n::warning::from a commit"], ["::warning::from a commit"]),  # a line of its own
    (["  ::error::indented", "ok"], ["  ::error::indented"]),  # the runner reads past leading blanks
    (["a\r::add-mask::x"], ["::add-mask::x"]),  # a lone CR ends a line for the runner too
    (["  ✓ gate tests   :: not at the start", "    │ ::error::streamed output"], []),
    (["    │ ##[error]streamed output"], ["    │ ##[error]streamed output"]),  # the older `##[` form: anywhere
    (["- fix: log ##[warning title=x]y"], ["- fix: log ##[warning title=x]y"]),
])
def test_text_a_log_would_run_as_a_workflow_command_is_shown_between_stop_and_resume(
        lines: list[str], commands: list[str]) -> None:
    shown = ci.guarded(lines)
    stopped = [i for i, line in enumerate(shown) if line.startswith("::stop-commands::")]
    assert [shown[i + 1] for i in stopped] == commands
    for i in stopped:
        assert shown[i + 2] == f"::{shown[i].removeprefix('::stop-commands::')}::"  # resumed right after
    assert all(not line.lstrip().startswith("::") and "##[" not in line for n, line in enumerate(shown)
               if not any(i <= n <= i + 2 for i in stopped))


@pytest.mark.parametrize("before", ["", "earlier=1\n", "earlier=1"])  # the last one left unended by `printf`
def test_step_outputs_and_summary_start_on_a_line_of_their_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              before: str) -> None:
    outputs, summary = tmp_path / "output", tmp_path / "summary.md"
    outputs.write_text(before)
    summary.write_text(before.replace("earlier=1", "# earlier step"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = RunResult("deploy:production")
    result(events.Identified("production", "1.2.0", "v1.2.0", url="https://example.com"))
    ci.write_files(result.to_dict())
    lines = outputs.read_text().splitlines()
    assert lines[:-5] == ([] if not before else ["earlier=1"]) and lines[-5] == "version=1.2.0"
    assert "\n## deploylib deploy:production: unchanged\n" in "\n" + summary.read_text()


def test_step_outputs_use_the_heredoc_form_for_a_value_with_a_line_break() -> None:
    text = ci._output_lines({"version": "1.2.0", "outcome": "two\nlines"})
    head, rest = text.split("\n", 1)
    delimiter = rest.split("<<", 1)[1].split("\n", 1)[0]
    assert head == "version=1.2.0" and rest == f"outcome<<{delimiter}\ntwo\nlines\n{delimiter}\n"


def test_what_a_check_emits_in_its_thread_reaches_the_runs_subscribers() -> None:
    from deploylib.validate.base import Check, Round
    from deploylib.validate.runner import run_round

    class Echoing(Check):
        def describe(self) -> str:
            return "echo"

        def measure(self, base_url: str, session: object) -> CheckResult:  # type: ignore[override]
            events.emit(events.Output("from the check's thread"))
            return self.result(Verdict.PASS, "", "", 0.0)

        def run(self, within: Round) -> CheckResult:
            return self.measure(within.base_url, within.session)

    heard: list[object] = []
    with events.subscribed(heard.append):
        run_round("http://127.0.0.1:9", [Echoing(), Echoing()], concurrency=2)
    assert [e.line for e in heard if isinstance(e, events.Output)] == ["from the check's thread"] * 2


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_an_upload_is_drawn_as_progress_and_a_stage_in_colour() -> None:
    from deploylib.live import LiveTerminal

    screen = _Tty()
    live = LiveTerminal(screen)
    live(events.StageStarted("deploy:production", "uploading"))
    live(events.Progress("upload web1", 512_000, 1_024_000, "bytes"))
    live(events.StageFinished("deploy:production", events.Mark.OK, "verified"))
    live.close()
    out = screen.getvalue()
    assert "\x1b[?25l" in out and "upload web1" in out and "500.0 KiB of 1000.0 KiB" in out
    assert "\x1b[32m✓\x1b[0m" in out


def test_the_summary_quotes_a_failures_message_as_written_line_by_line() -> None:
    result = RunResult("deploy:production")
    result(events.Failed("The build failed: `npm ci | tee log` exited with code 1.\nSee the log.", 1))
    text = ci.summary_markdown(result.to_dict())
    assert "\n> The build failed: `npm ci | tee log` exited with code 1.\n> See the log.\n" in text


def test_an_event_kind_becomes_a_frozen_dataclass_compared_by_identity_when_its_first_event_is_made() -> None:
    class Pinged(events._Event):
        """A kind declared here, so that no event of it was made before."""

        host: str
        tries: int = 1

    assert not dataclasses.is_dataclass(Pinged)
    first = Pinged("a")
    assert dataclasses.is_dataclass(Pinged)
    assert (first.host, first.tries) == ("a", 1)
    assert first != Pinged("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.host = "b"  # type: ignore[misc]


def test_threads_making_a_kinds_first_events_at_once_each_get_theirs() -> None:
    class Beat(events._Event):
        """A kind declared here, so that no event of it was made before."""

        number: int

    start = threading.Barrier(8)
    made: list[Beat] = []

    def make(number: int) -> None:
        start.wait()
        made.append(Beat(number))

    threads = [threading.Thread(target=make, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(beat.number for beat in made) == list(range(8))


@pytest.mark.parametrize("first", ["subkind", "base kind"])
def test_an_event_subkind_has_its_base_kinds_fields_first_whichever_kind_makes_the_first_event(first: str) -> None:
    class Reached(events._Event):
        """A kind declared here, so that no event of it was made before."""

        host: str

    class Retried(Reached):
        """Its subkind."""

        tries: int = 1

    made = [Retried("a", 2), Reached("b")] if first == "subkind" else [Reached("b"), Retried("a", 2)]
    assert sorted(map(repr, made)) == [f"{Reached.__qualname__}(host='b')",
                                       f"{Retried.__qualname__}(host='a', tries=2)"]
    assert [f.name for f in dataclasses.fields(Retried)] == ["host", "tries"]


class _Watched:
    """The event classes' lock, which tells (`met`) when a thread other than the one that made it waits for it."""

    def __init__(self, met: threading.Event) -> None:
        self._lock, self._met, self._maker = threading.RLock(), met, threading.get_ident()

    def __enter__(self) -> None:
        if threading.get_ident() != self._maker:
            self._met.set()
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_a_thread_making_an_event_while_another_makes_its_kind_waits_for_the_whole_kind(
        monkeypatch: pytest.MonkeyPatch) -> None:
    met = threading.Event()  # the other thread waits for the lock, or made its event without waiting
    monkeypatch.setattr(events._EventClass, "_making", _Watched(met))
    threads: list[threading.Thread] = []
    made: list[object] = []

    def make_another() -> None:
        try:
            made.append(Beat(2))
        except TypeError as err:  # the kind was taken as made while dataclass() was still making it
            made.append(err)
        met.set()

    class MidWay:
        """A __post_init__, which dataclass() looks up half-way through making the class (its fields set,
        its __init__ not yet): there another thread makes an event of the same kind."""

        def __get__(self, event: object, kind: type) -> Callable[[], None]:
            if event is None and not threads:
                threads.append(threading.Thread(target=make_another))
                threads[0].start()
                met.wait()
            return lambda: None

    class Beat(events._Event):
        """A kind declared here, so that no event of it was made before."""

        number: int
        __post_init__ = MidWay()

    first = Beat(1)
    threads[0].join()
    assert [type(event) for event in made] == [Beat]
    assert (first.number, made[0].number) == (1, 2)  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].number = 3  # type: ignore[attr-defined]
