"""The plug-in registry: built-in kinds without reading entry points; installed ones by entry point;
a broken plug-in named, never a traceback."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploylib import plugins
from deploylib.config.load import parse
from deploylib.errors import ConfigError
from deploylib.targets import TARGETS
from deploylib.targets.local import LocalTarget

EVERY_BUILTIN_KIND = {
    "build": {"command": "make"},
    "release": {"forge": {"type": "github", "repository": "acme/site"}},
    "environments": {"production": {"target": {"type": "local", "path": "out"},
                                    "checks": [{"kind": "smoke", "path": "/"}, {"path": "/x"}]}},
    "notify": [{"type": "slack", "url_env": "HOOK"}, {"format": "json", "url_env": "HOOK"}, {"url_env": "HOOK"}],
}


@pytest.fixture(autouse=True)
def fresh_scan() -> Iterator[None]:
    """Each test sees the sys.path it set up, and imports its own acme_kinds."""
    plugins._installed.cache_clear()
    yield
    plugins._installed.cache_clear()
    sys.modules.pop("acme_kinds", None)


def installed(folder: Path, monkeypatch: pytest.MonkeyPatch, entry_points: str, module: str = "") -> None:
    """A distribution in `folder`, on sys.path: `module` as acme_kinds.py and the given entry_points.txt."""
    info = folder / "acme_kinds-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kinds\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    (folder / "acme_kinds.py").write_text(module)
    monkeypatch.syspath_prepend(str(folder))


def test_builtin_kinds_of_every_plugin_point_load_without_reading_entry_points(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scan(**selection: str) -> None:
        raise AssertionError(f"entry points were read for {selection}")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    config = parse(EVERY_BUILTIN_KIND, Path("/repo/deploy.toml"), Path("/repo"))
    assert config.release.forge is not None and [n.type for n in config.notify] == ["slack", "json", "json"]


def test_an_installed_kind_is_found_by_its_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(tmp_path, monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n",
              "from deploylib.targets.local import LocalTarget\nclass Mine(LocalTarget):\n    pass\n")
    cls = TARGETS.load("mine")
    assert cls is not None and issubclass(cls, LocalTarget) and TARGETS.known()[-1] == "mine"


def test_a_builtin_kind_is_not_replaced_by_an_entry_point_of_the_same_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(tmp_path, monkeypatch, "[deploylib.targets]\nlocal = acme_kinds:Mine\n", "Mine = None\n")
    assert TARGETS.load("local") is LocalTarget and TARGETS.known().count("local") == 1


def test_a_kind_two_distributions_install_differently_is_refused_naming_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(tmp_path / "one", monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n")
    other = tmp_path / "two" / "other_kinds-2.0.dist-info"
    other.mkdir(parents=True)
    (other / "METADATA").write_text("Metadata-Version: 2.1\nName: other-kinds\nVersion: 2.0\n")
    (other / "entry_points.txt").write_text("[deploylib.targets]\nmine = other_kinds:Theirs\n")
    monkeypatch.syspath_prepend(str(tmp_path / "two"))
    with pytest.raises(ConfigError) as caught:
        TARGETS.load("mine")
    message = str(caught.value)
    assert message.startswith('the kind "mine" is installed by more than one distribution, so deploylib cannot tell '
                              "which is meant: ") and message.endswith("Uninstall all but one of them (pip uninstall "
                                                                       "NAME).")
    assert "mine = 'other_kinds:Theirs' in the group deploylib.targets (installed by other-kinds 2.0)" in message
    assert "mine = 'acme_kinds:Mine' in the group deploylib.targets (installed by acme-kinds 1.0)" in message


def test_one_class_installed_under_the_same_kind_twice_is_no_conflict(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    installed(tmp_path / "one", monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n",
              "from deploylib.targets.local import LocalTarget\nclass Mine(LocalTarget):\n    pass\n")
    other = tmp_path / "two" / "acme_kinds_extra-1.0.dist-info"
    other.mkdir(parents=True)
    (other / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kinds-extra\nVersion: 1.0\n")
    (other / "entry_points.txt").write_text("[deploylib.targets]\nmine = acme_kinds:Mine\n")
    monkeypatch.syspath_prepend(str(tmp_path / "two"))
    cls = TARGETS.load("mine")
    assert cls is not None and cls.__name__ == "Mine"


@pytest.mark.parametrize(("module", "fragments"), [
    ("class Mine:\n    pass\n", ["is <class 'acme_kinds.Mine'>, not a subclass of deploylib.targets.base.Target"]),
    ("raise ImportError('needs libfoo')\n", ["cannot be loaded: ImportError: needs libfoo"]),
    ("", ["cannot be loaded: AttributeError"]),  # the module lacks the class
])
def test_a_broken_plugin_is_named_with_its_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str,
                                                        fragments: list[str]) -> None:
    installed(tmp_path, monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n", module)
    data = {"build": {"command": "make"}, "environments": {"production": {
        "target": {"type": "mine", "path": "out"}, "checks": [{"path": "/"}]}}}
    with pytest.raises(ConfigError) as caught:
        parse(data, Path("/repo/deploy.toml"), Path("/repo"))
    message = str(caught.value)
    assert "the entry point mine = 'acme_kinds:Mine' in the group deploylib.targets (installed by acme-kinds 1.0)" \
        in message
    assert all(fragment in message for fragment in fragments), message


def refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, table: dict[str, object],
            module: str) -> str:
    """The ConfigError message of loading a configuration that uses the plug-in `mine` of `group`, defined by
    `module` and installed; `table` is the keys that name it (an environment's, or the top level's for a
    notifier)."""
    installed(tmp_path, monkeypatch, f"[deploylib.{group}]\nmine = acme_kinds:Mine\n", module)
    production: dict[str, object] = {"target": {"type": "local", "path": "out"}, "checks": [{"path": "/"}]}
    data: dict[str, object] = {"build": {"command": "make"}, "environments": {"production": production}}
    if group == "notifiers":
        data.update(table)
    else:
        production.update(table)
    with pytest.raises(ConfigError) as caught:
        parse(data, Path("/repo/deploy.toml"), Path("/repo"))
    return str(caught.value)


# A plug-in whose options are not a dataclass of its own: a traceback from dataclasses.fields before.
@pytest.mark.parametrize(("group", "table", "module", "fix"), [
    ("targets", {"target": {"type": "mine", "path": "out"}},
     "from deploylib.targets.base import Target\nclass Mine(Target):\n    pass\n",  # no Options at all
     "give Mine an Options class decorated with @dataclass(frozen=True, kw_only=True)"),
    ("targets", {"target": {"type": "mine", "path": "out"}},
     "from deploylib.targets.base import Target\nclass Plain:\n    path: str = ''\n"
     "class Mine(Target):\n    Options = Plain\n", "give Mine an Options class decorated with @dataclass"),
    ("notifiers", {"notify": [{"type": "mine"}]},
     "from deploylib.notify.base import Notifier, NotifierOptions\nclass Opts(NotifierOptions):\n    path: str = ''\n"
     "class Mine(Notifier):\n    Options = Opts\n",  # a subclass of the options dataclass, not itself one
     "give Mine an Options class decorated with @dataclass"),
    ("checks", {"checks": [{"kind": "mine", "path": "/"}]},
     "from deploylib.validate.base import Check\nclass Mine(Check):\n    path: str = '/'\n",  # @dataclass forgotten
     "decorate Mine with @dataclass(frozen=True, kw_only=True)"),
])
def test_a_plugin_without_an_options_dataclass_is_named_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, table: dict[str, object], module: str,
        fix: str) -> None:
    message = refusal(tmp_path, monkeypatch, group, table, module)
    assert f"the entry point mine = 'acme_kinds:Mine' in the group deploylib.{group} (installed by acme-kinds 1.0) " \
           "has no options dataclass" in message
    assert fix in message, message


# Options deploylib could read but not use: a traceback (AttributeError on upload_artifact or conflict) before,
# or a configuration a plug-in could change after it was checked.
@pytest.mark.parametrize(("group", "table", "module", "fragment"), [
    ("forges", {"release": {"forge": {"type": "mine", "state": "f.json"}}},
     "from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
     "from deploylib.forge.base import Forge\n"
     "@dataclass(frozen=True, kw_only=True)\nclass Opts:\n    state: str = option('', doc='a file')\n"
     "class Mine(Forge):\n    Options = Opts\n",
     "has options Opts that do not subclass deploylib.forge.base.ForgeOptions, whose keys every kind has: declare "
     "class Opts(ForgeOptions)"),
    ("notifiers", {"notify": [{"type": "mine", "path": "e.jsonl"}]},
     "from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
     "from deploylib.notify.base import Notifier\n"
     "@dataclass(frozen=True, kw_only=True)\nclass Opts:\n    path: str = option('', doc='a folder')\n"
     "class Mine(Notifier):\n    Options = Opts\n",
     "has options Opts that do not subclass deploylib.notify.base.NotifierOptions, whose keys every kind has: "
     "declare class Opts(NotifierOptions)"),
    ("targets", {"environments": {"production": {"target": {"type": "mine", "path": "out"},
                                                 "checks": [{"path": "/"}]}}},
     "from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
     "from deploylib.targets.base import Target\n"
     "@dataclass(kw_only=True)\nclass Opts:\n    path: str = option('', doc='a folder')\n"
     "class Mine(Target):\n    Options = Opts\n",
     "has options Opts that are not frozen: decorate them with @dataclass(frozen=True, kw_only=True)"),
])
def test_a_plugin_whose_options_break_its_point_s_contract_is_named_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, table: dict[str, object], module: str,
        fragment: str) -> None:
    installed(tmp_path, monkeypatch, f"[deploylib.{group}]\nmine = acme_kinds:Mine\n", module)
    data: dict[str, object] = {"build": {"command": "make"}, "environments": {"production": {
        "target": {"type": "local", "path": "out"}, "checks": [{"path": "/"}]}}}
    data.update(table)
    with pytest.raises(ConfigError) as caught:
        parse(data, Path("/repo/deploy.toml"), Path("/repo"))
    message = str(caught.value)
    assert f"the entry point mine = 'acme_kinds:Mine' in the group deploylib.{group} (installed by acme-kinds 1.0) " \
           f"{fragment} (README: Writing a plug-in)." in message, message


def test_a_check_kind_whose_unavailable_raises_is_named_not_a_traceback(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    installed(tmp_path, monkeypatch, "[deploylib.checks]\nshaky = acme_kinds:Shaky\n",
              "from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
              "from deploylib.validate.smoke import SmokeCheck\n"
              "@dataclass(frozen=True, kw_only=True)\nclass Shaky(SmokeCheck):\n"
              "    def unavailable(self):\n        raise OSError('no /proc here')\n")
    table = {"environments": {"production": {"target": {"type": "local", "path": "out"},
                                             "checks": [{"kind": "shaky", "path": "/"}]}}}
    with pytest.raises(ConfigError, match=r"checks\[0\]\] \(acme_kinds\.Shaky\): asked what this machine lacks to run "
                                          r"it \(unavailable\), it raised OSError: no /proc here\. This is a bug in "
                                          "that check kind"):
        parse(table, Path("/repo/deploy.toml"), Path("/repo"))


# Questions asked while the configuration is read: a traceback before when one raised (serves_itself, conflict), and
# a nonsense message when one answered 42 ("deploy.toml: [notify[0]] 42").
TARGET_ASKED = ("from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
                "from deploylib.targets.base import Target\n"
                "@dataclass(frozen=True, kw_only=True)\nclass Opts:\n    path: str = option('', doc='a folder')\n"
                "class Mine(Target):\n    Options = Opts\n    @classmethod\n    def serves_itself(cls, options):\n"
                "        {body}\n")
NOTIFIER_ASKED = ("from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
                  "from deploylib.notify.base import Notifier, NotifierOptions\n"
                  "@dataclass(frozen=True, kw_only=True)\nclass Opts(NotifierOptions):\n"
                  "    def conflict(self):\n        {body}\n"
                  "class Mine(Notifier):\n    Options = Opts\n")
CHECK_ASKED = ("from dataclasses import dataclass\nfrom deploylib.config.schema import option\n"
               "from deploylib.validate.smoke import SmokeCheck\n"
               "@dataclass(frozen=True, kw_only=True)\nclass Mine(SmokeCheck):\n"
               "    def unavailable(self):\n        {body}\n")
RAISES, WRONG = "raise KeyError('path')", "return 42"


@pytest.mark.parametrize(("group", "table", "module", "said"), [
    ("targets", {"target": {"type": "mine"}}, TARGET_ASKED.format(body=RAISES),
     "The mine target (acme_kinds.Mine) failed in serves_itself, asked while the configuration was read: it raised "
     "KeyError: 'path'. This is a bug in that target"),
    ("targets", {"target": {"type": "mine"}}, TARGET_ASKED.format(body=WRONG),
     "The mine target (acme_kinds.Mine) failed in serves_itself, asked while the configuration was read: it returned "
     "42 (int) where true or false (a bool) is due"),
    ("notifiers", {"notify": [{"type": "mine"}]}, NOTIFIER_ASKED.format(body=RAISES),
     "deploy.toml: [notify[0]] (acme_kinds.Opts): asked whether its keys conflict (conflict), it raised KeyError: "
     "'path'. This is a bug in that notifier"),
    ("notifiers", {"notify": [{"type": "mine"}]}, NOTIFIER_ASKED.format(body=WRONG),
     "deploy.toml: [notify[0]] (acme_kinds.Opts): asked whether its keys conflict (conflict), it returned 42 (int) "
     "where a str is due"),
    ("checks", {"checks": [{"kind": "mine", "path": "/"}]}, CHECK_ASKED.format(body=WRONG),
     "deploy.toml: [environments.production.checks[0]] (acme_kinds.Mine): asked what this machine lacks to run it "
     "(unavailable), it returned 42 (int) where a str is due"),
])
def test_a_plugin_failing_a_question_asked_at_load_is_named_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, table: dict[str, object], module: str,
        said: str) -> None:
    message = refusal(tmp_path, monkeypatch, group, table, module)
    assert said in message, message


# Options build() cannot read: a traceback before (a field without a default, set[str], Literal), or a key that
# no value could ever satisfy ("flags must be flags, got ["-a"]" for a tuple[str, ...]).
OPTS = ("from dataclasses import dataclass\nfrom pathlib import Path\nfrom typing import Literal\n"
        "from deploylib.config.schema import option\nfrom deploylib.targets.local import LocalTarget\n"
        "@dataclass(frozen=True, kw_only=True)\nclass Opts:\n    path: str = option(doc='a folder')\n    {field}\n"
        "class Mine(LocalTarget):\n    Options = Opts\n")


@pytest.mark.parametrize(("field", "said"), [
    ("flags: str", "has the field flags in Opts, not declared with deploylib.config.schema.option, so no key of "
                   'deploy.toml reads it: declare it as flags: str = option(default, doc="the form expected, e.g. …")'),
    ("flags: str = '-a'", "has the field flags in Opts, not declared with deploylib.config.schema.option"),
    ("flags: set[str] = option(factory=set, doc='flags')", "has the field flags: set[str] in Opts, a type no TOML "
                                                           "value is read as: use str, int, float or bool"),
    ("flags: tuple[str, ...] = option((), doc='flags')", "has the field flags: tuple[str, ...] in Opts, a type"),
    ("flags: Literal['-a'] = option('-a', doc='flags')", "has the field flags: Literal['-a'] in Opts, a type"),
    ("flags: Path = option(Path('.'), doc='flags')", "has the field flags: Path in Opts, a type"),
    ("flags: dict[int, str] = option(factory=dict, doc='flags')", "has the field flags: dict[int, str] in Opts"),
])
def test_options_no_table_can_fill_are_named_with_the_field_and_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, said: str) -> None:
    installed(tmp_path, monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n", OPTS.format(field=field))
    with pytest.raises(ConfigError) as caught:
        TARGETS.load("mine")
    assert "the entry point mine = 'acme_kinds:Mine' in the group deploylib.targets (installed by acme-kinds 1.0) " \
           f"{said}" in str(caught.value), str(caught.value)


@pytest.mark.parametrize("field", ["flags: str | None = option(None, doc='flags')",
                                   "flags: list[int] = option(factory=list, doc='flags')",
                                   "flags: dict[str, Any] = option(factory=dict, doc='flags')",
                                   "flags: float = option(1.0, doc='flags')"])
def test_options_of_every_type_a_toml_value_is_read_as_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           field: str) -> None:
    module = OPTS.format(field=field).replace("from typing import Literal", "from typing import Any")
    installed(tmp_path, monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n", module)
    assert TARGETS.load("mine") is not None


def test_every_builtin_kind_meets_the_rule_plugins_are_held_to() -> None:
    from deploylib.config.schema import declared_problem
    from deploylib.plugins import CHECKS, FORGES, NOTIFIERS

    problems = {(registry.group, kind): declared_problem(registry.options(cls))
                for registry in (TARGETS, CHECKS, FORGES, NOTIFIERS) for kind in registry.builtin
                if (cls := registry.load(kind)) is not None}
    assert set(problems.values()) == {""}, problems


@pytest.mark.parametrize(("check", "said"), [
    ("lambda v: 1 / 0", "raised ZeroDivisionError: division by zero"),
    ("lambda v: None", "returned None (NoneType), not a str"),
])
def test_an_option_check_that_raises_or_answers_no_str_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     check: str, said: str) -> None:
    installed(tmp_path, monkeypatch, "[deploylib.targets]\nmine = acme_kinds:Mine\n",
              OPTS.format(field=f"flags: str = option('-a', doc='flags', check={check})"))
    data = {"build": {"command": "make"}, "environments": {"production": {
        "target": {"type": "mine", "path": "out", "flags": "-r"}, "checks": [{"path": "/"}]}}}
    with pytest.raises(ConfigError) as caught:
        parse(data, Path("/repo/deploy.toml"), Path("/repo"))
    assert str(caught.value).startswith("deploy.toml: [environments.production.target] flags: the check of this "
                                        f"key's value (acme_kinds.Opts.<lambda>) {said}. This is a bug in the "
                                        "plug-in that declared the key"), str(caught.value)


@pytest.mark.parametrize(("word", "known", "meant"), [
    ("rsnyc", ["local", "rsync"], "rsync"),
    ("RSYNC", ["local", "rsync"], "rsync"),  # case aside
    ("Timeout", ["timeout_s", "retries"], "timeout_s"),
    ("lock", ["lock_wait_s", "keep_releases"], "lock_wait_s"),  # a word it begins
    ("ftp", ["local", "ssh"], ""),
    ("", ["local"], ""),
    ("Local", ["local", "LOCAL"], "local"),  # the first spelling known wins
])
def test_the_one_did_you_mean_rule(word: str, known: list[str], meant: str) -> None:
    from deploylib.config.schema import nearest

    assert nearest(word, known) == meant


@pytest.mark.parametrize("group", ["deploylib.target", "deploylib.checks"])  # a typo; another plug-in point
def test_a_kind_installed_in_another_deploylib_group_is_named_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str) -> None:
    installed(tmp_path, monkeypatch, f"[{group}]\nmine = acme_kinds:Mine\n")
    data = {"build": {"command": "make"}, "environments": {"production": {
        "target": {"type": "mine", "path": "out"}, "checks": [{"path": "/"}]}}}
    with pytest.raises(ConfigError) as caught:
        parse(data, Path("/repo/deploy.toml"), Path("/repo"))
    assert str(caught.value).endswith(
        "a plug-in adds one by an entry point in the group deploylib.targets (see README: Writing a plug-in); the "
        f"entry point mine = 'acme_kinds:Mine' in the group {group} (installed by acme-kinds 1.0) is not in that "
        "group: move it there in its distribution's entry points, and reinstall it."), str(caught.value)
