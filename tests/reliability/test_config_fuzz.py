"""Configuration fuzz: mutated deploy.toml files (values, types, keys, nesting, bytes) are either
refused with exit 3 naming a key, or accepted only when every value can work. Never a traceback.

Counts: DEPLOYLIB_FUZZ_EXAMPLES (300) files through the loader, DEPLOYLIB_FUZZ_DOIT (5) through
the real `doit`. The defaults keep CI under a minute and replay the same examples (derandomized);
setting either count draws new ones. The figures are printed at the end of the module.

Through doit the files are deploy.toml only: doit 0.37 parses pyproject.toml itself (for [tool.doit])
before it loads dodo.py, and a pyproject.toml that is not UTF-8 TOML stops it with its own traceback,
before deploylib runs. The loader test covers [tool.deploylib].
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from deploylib.config.load import load_file
from deploylib.errors import DeployError, ExitCode
from tests.conftest import REPO, run_doit
from tests.reliability.configs import Mutant, mutants
from tests.reliability.usable import Git, unusable

pytestmark = pytest.mark.reliability

EXAMPLES = int(os.environ.get("DEPLOYLIB_FUZZ_EXAMPLES", "300"))
DOIT_EXAMPLES = int(os.environ.get("DEPLOYLIB_FUZZ_DOIT", "5"))
# What a message about a file whose text or nesting changed names: "[table] key" (a check's table may be followed
# by what the check does: "[environments.x.checks[0]] (load /, /api) prometheus_url"), a line or a byte.
NAMED = re.compile(r"\[[^\n]*?\] (?:\([^)\n]*\) )?[\w\"]|line \d+|byte 0x[0-9a-f]{2}")


def fuzz_settings(examples: int, override: str) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=override not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@dataclass
class Figures:
    examples: int = 0
    refused: int = 0
    tracebacks: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)  # errors that name no key the mutation touched
    unusable: list[str] = field(default_factory=list)  # accepted values that cannot work
    started: float = field(default_factory=time.perf_counter)

    def line(self, what: str) -> str:
        return (f"{what}: {self.examples} examples, {self.refused} refused, {len(self.tracebacks)} tracebacks, "
                f"{len(self.unusable)} accepted but unusable, {len(self.unnamed)} errors not naming the key, "
                f"{time.perf_counter() - self.started:.1f} s")


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[dict[str, Figures]]:
    tally = {"loader": Figures(), "doit": Figures()}
    yield tally
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    with capture.global_and_fixture_disabled():  # the figures are the suite's report, not a test's output
        for what, counted in tally.items():
            if counted.examples and reporter:
                reporter.write_line(f"\nconfiguration fuzz, {counted.line(what)}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def names_a_key(message: str, mutant: Mutant) -> bool:
    """The message names a key the mutation touched, where a key stands: after "[", "] ", "." or a quote and
    before a delimiter, or before " = " (so "a" is not found in "a table"); a touched [table] anywhere."""
    for name in mutant.names:
        if name.startswith("[") and name in message:
            return True
        for form in {name, json.dumps(name, ensure_ascii=False)[1:-1]}:
            if re.search(r'(?:\[|\] |\.|")' + re.escape(form) + r'(?:[ =\[\].":,;]|$)|(?:^|\s)' + re.escape(form)
                         + " = ", message):
                return True
    return mutant.textual and bool(NAMED.search(message))


def judge(mutant: Mutant, outcome: BaseException | object, tally: Figures, git: Git) -> None:
    """Count one example and fail it (hypothesis then shrinks to the smallest such file) if it broke a rule."""
    tally.examples += 1
    shown = mutant.content.decode("utf-8", "replace")[:2000]
    if isinstance(outcome, BaseException):
        if not isinstance(outcome, DeployError) or outcome.exit_code != ExitCode.INVALID:
            tally.tracebacks.append(f"{type(outcome).__name__}: {outcome}")
            raise AssertionError(f"{type(outcome).__name__} loading {mutant.name}:\n{shown}") from outcome
        tally.refused += 1
        if not names_a_key(str(outcome), mutant):
            tally.unnamed.append(str(outcome))
            raise AssertionError(f"the error names none of {sorted(mutant.names)}: {outcome}\n{shown}")
        return
    problems = unusable(outcome, git)
    tally.unusable += problems
    assert problems == [], f"accepted but unusable: {problems}\n{shown}"


@pytest.fixture(scope="module")
def git() -> Git:
    return Git()


def test_the_loader_refuses_or_accepts_only_usable_configurations(figures: dict[str, Figures], workdir: Path,
                                                                  git: Git) -> None:
    @fuzz_settings(EXAMPLES, "DEPLOYLIB_FUZZ_EXAMPLES")
    @given(mutants())
    def one(mutant: Mutant) -> None:
        path = workdir / mutant.name
        path.write_bytes(mutant.content)
        try:
            outcome: object = load_file(path, workdir, mutant.table)
        except BaseException as err:  # noqa: BLE001 - anything but a ConfigError is the fault counted here
            outcome = err
        judge(mutant, outcome, figures["loader"], git)

    one()
    assert figures["loader"].examples >= min(EXAMPLES, 100)


def test_doit_refuses_a_configuration_with_exit_3_and_no_traceback(figures: dict[str, Figures],
                                                                   tmp_path_factory: pytest.TempPathFactory,
                                                                   git: Git) -> None:
    figures["doit"].started = time.perf_counter()
    repo = tmp_path_factory.mktemp("doit")
    shutil.copy(REPO / "dodo.py", repo / "dodo.py")

    @fuzz_settings(DOIT_EXAMPLES, "DEPLOYLIB_FUZZ_DOIT")
    @given(mutants(pyprojects=False))
    def one(mutant: Mutant) -> None:
        (repo / mutant.name).write_bytes(mutant.content)
        done = run_doit(repo, "list")
        tally = figures["doit"]
        if done.returncode == 0:
            judge(mutant, load_file(repo / mutant.name, repo, mutant.table), tally, git)
            return
        tally.examples += 1
        if "Traceback" in done.stderr or done.returncode != ExitCode.INVALID:
            tally.tracebacks.append(done.stderr[-500:])
            raise AssertionError(f"doit list exited {done.returncode}:\n{done.stderr}")
        tally.refused += 1
        if not names_a_key(done.stderr, mutant):
            tally.unnamed.append(done.stderr)
            raise AssertionError(f"the error names none of {sorted(mutant.names)}: {done.stderr}")

    one()
    assert figures["doit"].examples >= min(DOIT_EXAMPLES, 1)
