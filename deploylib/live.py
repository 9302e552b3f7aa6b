"""The report on a terminal, with `rich`: coloured stage lines; a live line for the running stage, with
the build's and tests' output streaming above it; progress through the monitoring window (round n of m,
checks passing, time left) and through the uploads targets report (bytes to an SSH host, files into a
GitHub Pages commit); the summary block as a panel. The same events as the plain report
(report.Terminal); rich is imported at the first event, so a run with nothing to do pays nothing for it."""

from __future__ import annotations

from typing import IO, Any

from deploylib import events
from deploylib.report import round_lines

_STYLE = {events.Mark.OK: "green", events.Mark.FAIL: "bold red", events.Mark.WARN: "yellow",
          events.Mark.SKIP: "dim", events.Mark.RUNNING: "cyan"}


class LiveTerminal:
    """Subscriber drawing the run on the terminal `stream`; `close` at the end of the run."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._console: Any = None
        self._progress: Any = None
        self._task: Any = None
        self._checks = 0

    def _start(self) -> None:
        from rich.console import Console

        self._console = Console(file=self.stream, highlight=False)

    def _print(self, *renderables: Any) -> None:
        self._console.print(*renderables)

    def _line(self, mark: str, name: str, detail: str) -> None:
        from rich.text import Text

        line = Text("  ")
        line.append(mark, style=_STYLE.get(events.Mark(mark), ""))
        line.append(f" {name:<22} ", style="bold")
        line.append(detail, style="red" if mark == events.Mark.FAIL else "")
        self._print(line)

    def _show(self, description: str, total: float | None = None, completed: float = 0, status: str = "") -> None:
        """The live line: shown only while a stage runs, so a question on the terminal between stages (the
        production confirmation) is never drawn over."""
        if self._progress is None:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.fields[status]}"), console=self._console, transient=True,
                                      redirect_stdout=False, redirect_stderr=False)
            self._task = self._progress.add_task("", total=None, status="")
            self._progress.start()
        self._progress.update(self._task, description=description, total=total, completed=completed, status=status)

    def _hide(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, event: Any) -> None:
        if self._console is None:
            self._start()
        from rich.text import Text

        match event:
            case events.StageStarted(name=name, detail=detail):
                self._show(f"[bold]{name}[/] {detail}")
            case events.StageFinished(name=name, mark=mark, detail=detail):
                self._hide()
                self._line(mark, name, detail)
            case events.Note(text=text):
                self._print(Text(f"    {text}", style="dim"))
            case events.Text(text=text):
                self._print(Text(text))
            case events.Output(line=line):
                self._print(Text(f"    │ {line}", style="dim"))
            case events.Progress(name=name, done=done, total=total, unit=unit):
                self._show(f"[bold]{name}[/]", total=total, completed=done,
                           status=f"{_amount(done, unit)} of {_amount(total, unit)}")
            case events.WindowStarted(label=label, rounds=rounds, checks=checks, duration_s=duration):
                self._checks = checks
                self._show(f"[bold]{label}[/] round 1 of {rounds}", total=rounds,
                           status=f"{duration:.0f} s window" if duration else "")
            case events.RoundFinished(label=label, number=number, results=results, rounds=rounds, left_s=left):
                for line in round_lines(label, number, results):
                    shown, sign = Text(line), line[2:3]
                    if sign in (events.Mark.OK, events.Mark.FAIL):  # a check line; the others are expectations
                        shown.stylize(_STYLE[events.Mark(sign)], 2, 3)
                    self._print(shown)
                passing = sum(r.passed for r in results)
                more = number < rounds and left > 0
                self._show(f"[bold]{label}[/] round {min(number + 1, rounds) if more else number} of {rounds}",
                           total=rounds, completed=number,
                           status=f"{passing}/{len(results)} checks passing" + (f" · {left:.0f} s left" if more
                                                                                 else ""))
            case events.Finished(rows=rows) if rows:
                self._hide()
                self._summary(rows)
            case events.Failed():  # its message goes to stderr next: the live line must not draw over it
                self._hide()

    def _summary(self, rows: tuple[tuple[str, str], ...]) -> None:
        from rich.table import Table

        table = Table(show_header=False, box=None, padding=(0, 1))
        table.add_column(style="bold cyan")
        table.add_column()
        for key, value in rows:
            table.add_row(key, value)
        from rich.panel import Panel

        self._print(Panel(table, expand=False))

    def close(self) -> None:
        self._hide()


def _amount(count: int, unit: str) -> str:
    from deploylib.sizes import format_size

    return format_size(count) if unit == "bytes" else f"{count} {unit}"
