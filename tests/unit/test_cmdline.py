"""The command line as doit reads it (deploylib.cmdline): where the task selection starts, and which task
option doit's own parser will refuse, worded as deploylib's paragraph."""

from __future__ import annotations

from typing import Any

import pytest

from deploylib import cmdline

ENV = {"name": "env", "long": "env", "type": str, "default": "production",
       "choices": [("test", ""), ("production", "")]}
YES = {"name": "yes", "long": "yes", "short": "y", "type": bool, "default": False}
JSON = {"name": "as_json", "long": "json", "type": bool, "default": False}
TO = {"name": "to", "long": "to", "type": str, "default": ""}
LIMIT = {"name": "limit", "long": "limit", "type": cmdline.entries, "default": 50}
OPTIONS: dict[str, list[dict[str, Any]]] = {"deploy:production": [YES, JSON], "rollback": [ENV, TO, YES, JSON],
                                            "history": [JSON, LIMIT], "status": [JSON]}


@pytest.mark.parametrize(("argv", "words"), [
    (["deploy:production", "--json"], ["deploy:production", "--json"]),
    (["run", "deploy:production", "--json"], ["deploy:production", "--json"]),
    (["-v", "2", "--continue", "rollback", "--to", "1.0.0"], ["rollback", "--to", "1.0.0"]),
    (["-f", "dodo.py", "rollback"], ["rollback"]),  # a loader option before the command
    (["rollback", "strategy=bluegreen", "--json"], ["rollback", "--json"]),  # a variable is not the task's
    (["--backend", "json", "status"], ["status"]),
    ([], []),
    (["list", "--all"], None),  # another doit command: no task is run
    (["help", "rollback"], None),
])
def test_the_task_selection_is_what_doits_run_command_gets(argv: list[str], words: list[str] | None) -> None:
    assert cmdline.task_words(argv) == words


@pytest.mark.parametrize(("argv", "first", "as_json"), [
    (["-v", "2", "rollback", "--json"], "rollback", True),
    (["deploy:production", "--json", "--yes"], "deploy:production", True),
    (["release", "--dry-run", "--json"], "release", True),
    (["release", "--json"], "release", True),  # refused without --dry-run: the refusal is its result
    (["history", "--json"], "history", False),  # prints its own JSON, not a run's result
    (["rollback"], "rollback", False),
    (["list"], "list", False),
])
def test_the_first_task_named_and_whether_its_result_is_asked_as_json(argv: list[str], first: str,
                                                                      as_json: bool) -> None:
    assert (cmdline.first_word(argv), cmdline.asks_result_json(argv)) == (first, as_json)


@pytest.mark.parametrize(("words", "refused"), [
    (["deploy:production", "--json", "--bogus"], "doit deploy:production: option --bogus not recognized."),
    (["rollback", "--json", "--env", "typo"],
     "doit rollback: Error parsing parameter 'env'. Provided 'typo' but available choices are: 'test', "
     "'production'."),
    (["rollback", "--env=typo"], "available choices are"),
    (["rollback", "--json", "--to"], "doit rollback: option --to requires argument."),  # a missing value
    (["deploy:production", "--yes=1"], "doit deploy:production: option --yes must not have an argument."),
    (["history", "--limit", "x"], 'doit history: --limit "x" is not how many entries to show; give a whole number '
                                  "from 0 to 9223372036854775807 (e.g. --limit 20). Nothing was run"),  # its own words
    (["status", "-z"], "doit status: option -z not recognized."),
    (["deploy:production", "--json", "rollback", "--bogus"], "doit rollback: option --bogus not recognized."),
])
def test_an_option_doit_will_refuse_is_found_with_doits_own_parser(words: list[str], refused: str) -> None:
    message = cmdline.refusal(words, OPTIONS.get)
    assert refused in message and message.endswith("Nothing was run; doit help "
                                                    f"{message.split()[1][:-1]} lists its options.")


@pytest.mark.parametrize("words", [
    ["deploy:production", "--json", "--yes"],
    ["rollback", "--env", "test", "--to", "--json"],  # --to takes "--json" as its value, as doit does
    ["rollback", "-y", "status", "--json"],
    ["deploy:*", "rollback"],  # a pattern takes no option
    ["mytask", "--bogus"],  # not deploylib's task: its options are unknown here, so doit decides
    ["deploy:production", "mytask", "--whatever", "rollback", "--bogus"],  # nor how doit splits what follows it
    ["rollback", "rollback", "--bogus"],  # doit parses a task's options once: the second is left to doit
])
def test_a_command_line_doit_accepts_or_that_deploylib_cannot_judge_is_not_refused(words: list[str]) -> None:
    assert cmdline.refusal(words, OPTIONS.get) == ""


@pytest.mark.parametrize(("argv", "count"), [
    (["-n", "2", "deploy:test"], 2), (["--process=3", "status"], 3), (["--proc", "4"], 4),  # getopt's abbreviation
    (["-an2", "gate"], 2),  # short options run together
    (["deploy:test", "--json"], 0), (["deploy:test", "-n", "2"], 0),  # after a task name: the task's own option
    (["list", "-n", "2"], 0),  # another doit command
])
def test_the_worker_processes_doits_run_is_asked_for(argv: list[str], count: int) -> None:
    assert cmdline.processes(argv) == count


@pytest.mark.parametrize(("parse", "text", "value"), [
    (cmdline.entries, "0", 0), (cmdline.entries, "20", 20), (cmdline.entries, " 7 ", 7),
    (cmdline.entries, str(2**63 - 1), 2**63 - 1),
    (cmdline.version, "2.0.0", "2.0.0"), (cmdline.version, "2.0.0-rc.1+build.5", "2.0.0-rc.1+build.5"),
    (cmdline.prerelease, "rc", "rc"), (cmdline.prerelease, "beta2", "beta2"),
    (cmdline.release, "1.1.0", "1.1.0"), (cmdline.release, "v1.1.0", "v1.1.0"),
    (cmdline.release, "1.1.0-d24b1d017ee3", "1.1.0-d24b1d017ee3"),
])
def test_an_option_type_reads_a_well_formed_value(parse, text: str, value: object) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(("parse", "text", "said"), [
    (cmdline.entries, "", '--limit "" is not how many entries to show; give a whole number from 0 to '
                          "9223372036854775807 (e.g. --limit 20)"),
    (cmdline.entries, " ", '--limit " " is not how many entries'),
    (cmdline.entries, "abc", '--limit "abc" is not how many entries'),
    (cmdline.entries, "-1", '--limit "-1" is not how many entries'),
    (cmdline.entries, "1.5", '--limit "1.5" is not how many entries'),
    (cmdline.entries, "0x10", '--limit "0x10" is not how many entries'),
    (cmdline.entries, "1_000", '--limit "1_000" is not how many entries'),  # Python's spelling, not a count's
    (cmdline.entries, "１", '--limit "１" is not how many entries'),  # a digit, but not an ASCII one
    (cmdline.entries, str(2**63), f'--limit "{2**63}" is not how many entries to show; give a whole number from 0 '
                                  f"to {2**63 - 1}"),  # beyond SQLite's integers: the bound is named
    (cmdline.version, "", '--version "" is not a semantic version; give MAJOR.MINOR.PATCH, e.g. --version 2.0.0 '
                          "or --version 2.0.0-rc.1"),
    (cmdline.version, "1.2", '--version "1.2" is not a semantic version;'),
    (cmdline.version, "v2.0.0", '--version "v2.0.0" is not a semantic version (without the tag\'s "v");'),
    (cmdline.version, "2.0.0 ", '--version "2.0.0 " is not a semantic version;'),
    (cmdline.prerelease, "", '--prerelease "" is not a prerelease token; give letters and digits only, e.g. '
                             "--prerelease rc (1.5.0-rc.1, then rc.2)"),
    (cmdline.prerelease, "rc.1", '--prerelease "rc.1" is not a prerelease token'),
    (cmdline.prerelease, "release-candidate", '--prerelease "release-candidate" is not a prerelease token'),
    (cmdline.prerelease, "é", '--prerelease "é" is not a prerelease token'),  # a letter, but no SemVer one
    (cmdline.release, "", '--to "" names no release; give its version (1.1.0), its tag (v1.1.0) or its release id '
                          "(1.1.0-d24b1d017ee3), or leave --to out to restore the previous one"),
    (cmdline.release, " ", '--to " " names no release'),
    (cmdline.release, "1.1.0 ", '--to "1.1.0 " names no release'),
    (cmdline.release, "1.1\n0", '--to "1.1\\n0" names no release'),
])
def test_an_option_type_refuses_a_malformed_value_naming_option_value_and_form(parse, text: str, said: str) -> None:
    with pytest.raises(cmdline.OptionValueError) as refused:
        parse(text)
    assert str(refused.value).startswith(said)
