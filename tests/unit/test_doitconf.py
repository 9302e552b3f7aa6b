"""`[tool.doit]` judged against the installed doit's own options: each value doit could not use is
named with its key and what doit expects; values doit uses as given pass."""

from __future__ import annotations

from typing import Any

import pytest

from deploylib.config.doitconf import doit_options, problems

OPTIONS = doit_options()


@pytest.mark.parametrize("table", [
    {"verbosity": 2}, {"verbosity": "1"}, {"continue": True}, {"continue": "yes"}, {"backend": "json"},
    {"backend": "sqlite3", "dep_file": ".deploylib/doit.sqlite3"}, {"check_file_uptodate": "timestamp"},
    {"codec_cls": "json"}, {"reporter": "zero"}, {"par_type": "thread"}, {"num_process": 0},
    {"tasks": {"deploy:production": {"confirm": False}}}, {"commands": {"list": {"status": True}}},
    {"plugins": {"BACKEND": {"mine": "my_pkg.db:MyDB"}}, "backend": "mine"}, {},
], ids=repr)
def test_values_doit_can_use_pass(table: dict[str, Any]) -> None:
    assert problems(table, OPTIONS) == []


@pytest.mark.parametrize(("table", "named", "expected"), [
    ({"verbosity": "loud"}, 'verbosity = "loud"', "whole number from 0 to 2"),
    ({"verbosity": 7}, "verbosity = 7", "whole number from 0 to 2"),
    ({"verbosity": True}, "verbosity = true", "whole number"),
    ({"failure_verbosity": "x"}, "failure_verbosity", "whole number"),
    ({"num_process": -1}, "num_process = -1", "whole number from 0"),
    ({"num_process": 4}, "num_process = 4", "deploylib's tasks run one after another"),  # workers break the run
    ({"num_process": "2"}, 'num_process = "2"', "deploylib's tasks run one after another"),
    ({"num_process": "many"}, "num_process", "whole number"),
    ({"continue": "perhaps"}, "continue", "true or false"),
    ({"seek_file": 3}, "seek_file = 3", "true or false"),
    ({"pdb": "x"}, "pdb", "true or false"),
    ({"backend": "bogus"}, 'backend = "bogus"', '"dbm", "json", "sqlite3"'),
    ({"backend": 5}, "backend = 5", "non-empty string"),
    ({"dep_file": ""}, "dep_file", "non-empty string"),
    ({"check_file_uptodate": 5}, "check_file_uptodate = 5", "non-empty string"),
    ({"check_file_uptodate": "sha1"}, "check_file_uptodate", '"md5", "timestamp"'),
    ({"codec_cls": "pickle"}, "codec_cls", '"json"'),
    ({"outfile": 5}, "outfile = 5", "non-empty string"),
    ({"reporter": "fancy"}, "reporter", '"console"'),
    ({"par_type": "fork"}, "par_type", '"process", "thread"'),
    ({"sort": "size"}, "sort", '"name", "definition"'),
    ({"tasks": 5}, "tasks = 5", "table of tables"),
    ({"tasks": {"build": 1}}, "tasks.build = 1", "expected a table"),
    ({"commands": []}, "commands", "table of tables"),
    ({"plugins": {"COMMAND": {"x": "no_colon"}}}, "plugins.COMMAND.x", '"module:name"'),
    ({"default_tasks": ["deploy"]}, "default_tasks", "only from dodo.py's DOIT_CONFIG"),
    ({"minversion": "0.36"}, "minversion", "only from dodo.py's DOIT_CONFIG"),
    ({"verbosty": 2}, "verbosty = 2", "did you mean verbosity?"),
    ({"nothing_like_it": 1}, "nothing_like_it", "no such option"),
], ids=lambda v: repr(v) if isinstance(v, dict) else "")
def test_each_value_doit_cannot_use_is_named_with_what_doit_expects(table: dict[str, Any], named: str,
                                                                     expected: str) -> None:
    [problem] = problems(table, OPTIONS)
    assert problem.startswith(named) and expected in problem


def test_every_problem_of_a_table_is_named_not_only_the_first() -> None:
    found = problems({"verbosity": "loud", "backend": "bogus", "outfile": 5}, OPTIONS)
    assert [p.split(" ", 1)[0] for p in found] == ["verbosity", "backend", "outfile"]


def test_file_options_are_judged_on_the_filesystem_by_the_caller() -> None:
    seen = []
    problems({"dep_file": "x/db", "dodoFile": "dodo.py", "verbosity": 1},
             OPTIONS, lambda key, value: seen.append((key, value)) or "")
    assert seen == [("dep_file", "x/db"), ("dodoFile", "dodo.py")]
