"""deploy.toml validation: good files load; each mistake gets one message naming file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.config import load_file, parse
from deploylib.errors import ConfigError
from deploylib.resources import shipped

MINIMAL_ENV = {"target": {"type": "local", "path": "out"}, "checks": [{"path": "/"}]}


def load(data: dict, tmp_path: Path = Path("/repo")):
    return parse(data, tmp_path / "deploy.toml", tmp_path)


def error_of(data: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        load(data)
    return str(caught.value)


def test_the_demo_configuration_loads() -> None:
    config = load_file(shipped("examples/demo-site") / "deploy.toml", Path("/app"))
    assert list(config.environments) == ["test", "production"]
    assert config.deploy.require_staging
    assert config.staging_for(config.environments["production"]).name == "test"
    assert config.environments["production"].target.options.path == "../targets/production"


def test_an_empty_file_is_valid_with_defaults() -> None:
    config = load({})
    assert (config.release.tag_format, config.release.branch, config.environments) == ("v{version}", "main", {})


def test_a_release_only_file_is_valid() -> None:
    assert load({"release": {"branch": "trunk"}}).release.branch == "trunk"


def test_production_asks_for_confirmation_by_default() -> None:
    config = load({"build": {"command": "make"}, "environments": {"production": MINIMAL_ENV, "test": MINIMAL_ENV}})
    assert config.needs_confirmation(config.environments["production"])
    assert not config.needs_confirmation(config.environments["test"])


@pytest.mark.parametrize(("data", "fragments"), [
    ({"buld": {}}, ['unknown key "buld"', 'Did you mean "build"?']),
    ({"build": {"comand": "make"}}, ["[build]", 'unknown key "comand"', 'Did you mean "command"?']),
    ({"build": {"command": 42}}, ["[build] command must be", "42 (a whole number)"]),
    ({"build": "make"}, ["[top level] build must be a table"]),
    ({"release": {"tag_format": "v"}}, ["[release] tag_format", "does not contain {version}"]),
    ({"release": {"initial_version": "1.0"}}, ["initial_version", "is not a semantic version"]),
    ({"release": {"bump_rules": {"feat": "huge"}}}, ["bump_rules", '"feat" to "huge"', "major, minor, patch"]),
    ({"release": {"push": "yes"}}, ["[release] push must be true or false", '"yes" (a string)']),
    ({"build": {"command": "make"}, "environments": {"prod": {"checks": [{"path": "/"}]}}},
     ["[environments.prod] target is missing"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {"type": "ftp"}}}},
     ['"ftp" is not a known type', "Known: local"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {"type": "locl"}}}},
     ['Did you mean "local"?']),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {"type": "local"}}}},
     ["[environments.prod.target] path is missing"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {"type": "local",
                                                                                       "pth": "x"}}}},
     ['unknown key "pth"', 'Did you mean "path"?']),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {
        "type": "local", "path": "x", "port": 70000}}}}, ["port = 70000", "is not a TCP port"]),
    ({"build": {"command": "make"}, "environments": {"prod": {"target": MINIMAL_ENV["target"]}}},
     ["checks is missing", "never deploys without validating"]),
    ({"environments": {"prod": MINIMAL_ENV}}, ["[build] command is missing", "environments are configured"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "checks": [{"path": "health"}]}}},
     ['path = "health"', 'does not start with "/"']),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "checks": [{"path": "/",
                                                                                         "status": 700}]}}},
     ["status = 700", "is not an HTTP status"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "url": "example.com"}}},
     ['url = "example.com"', "is not an http(s) URL"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "lock_wait": -1}}},
     ["lock_wait = -1", "must be between 0 and 86400 seconds"]),
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "keep_releases": 1}}},
     ["keep_releases = 1", "rollback is always possible"]),
    ({"build": {"command": "make"}, "environments": {"bad name": MINIMAL_ENV}},
     ['[environments] "bad name" is not a usable environment name']),
    ({"build": {"command": "make"}, "deploy": {"require_staging": True, "staging": "stage"},
      "environments": {"production": MINIMAL_ENV}}, ['staging = "stage" names no configured environment']),
])
def test_mistakes_are_named(data: dict, fragments: list[str]) -> None:
    message = error_of(data)
    assert message.startswith("deploy.toml: ") or message.startswith("deploy.toml ")
    for fragment in fragments:
        assert fragment in message


def test_toml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "deploy.toml"
    path.write_text("[build]\ncommand = \n")
    with pytest.raises(ConfigError, match=r"deploy.toml is not valid TOML: .*line 2"):
        load_file(path, tmp_path)


def test_pyproject_table_errors_name_the_full_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.deploylib.build]\ncommand = 1\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.deploylib.build\] command must be"):
        load_file(path, tmp_path, ("tool", "deploylib"))


def ssh_env(**target: object) -> dict:
    return {"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {
        "type": "ssh", "path": "/srv/site", "hosts": [{"address": "web1"}], **target}}}}


@pytest.mark.parametrize(("target", "fragments"), [
    ({"hosts": []}, ["[environments.prod.target] hosts = []", "at least one host"]),
    ({"hosts": [{"address": "web1"}, {"address": "web1"}]}, ["each once"]),
    ({"hosts": ["web1"]}, ["hosts must be an array of tables"]),
    ({"hosts": [{"adress": "web1"}]}, ["[environments.prod.target.hosts[0]]", 'Did you mean "address"?']),
    ({"hosts": [{"address": "-oProxyCommand=x"}]}, ["is not a host address"]),
    ({"shared": ["../etc"]}, ['"../etc", which is not a plain relative path']),
    ({"shared": ["/var/uploads"]}, ['"/var/uploads", which is not a plain relative path']),
    ({"batch_size": -1}, ["batch_size = -1 (a whole number) is negative"]),
    ({"lock_ttl": 0}, ["lock_ttl = 0 (a whole number) must be more than 0"]),
    ({"hosts": [{"address": "web1", "url": "web1:8080"}]}, ['[environments.prod.target.hosts[0]] url = "web1:8080"',
                                                           "is not an http(s) URL"]),
])
def test_ssh_target_mistakes_are_named(target: dict, fragments: list[str]) -> None:
    message = error_of(ssh_env(**target))
    for fragment in fragments:
        assert fragment in message


def test_an_ssh_target_with_several_hosts_loads() -> None:
    config = load(ssh_env(hosts=[{"address": "deploy@web1", "url": "http://web1:8080"},
                                 {"address": "web2", "port": 2222, "path": "/srv/other"}],
                          shared=["uploads/", ".env"], batch_size=1))
    options = config.environments["prod"].target.options
    assert [h.address for h in options.hosts] == ["deploy@web1", "web2"] and options.canary


def test_asking_for_an_unknown_environment_lists_the_known_ones() -> None:
    config = load({"build": {"command": "make"}, "environments": {"production": MINIMAL_ENV}})
    with pytest.raises(ConfigError, match='no environment "prod".*production'):
        config.environment("prod")


@pytest.mark.parametrize(("env_extra", "fragments"), [
    ({"checks": [{"kind": "smok", "path": "/"}]}, ['kind = "smok" is not a known kind', 'Did you mean "smoke"?']),
    ({"checks": [{"path": "/", "regex": "(unclosed"}]}, ["regex", "is not a valid regular expression"]),
    ({"checks": [{"kind": "flow", "steps": [{"path": "api"}]}]}, ['steps[0]] path = "api"', 'does not start with']),
    ({"checks": [{"kind": "flow", "steps": [{"path": "/", "capture": {"t": "body:x"}}]}]},
     ["not json:PATH, header:NAME or regex:PATTERN"]),
    ({"checks": [{"kind": "load", "requests": 0}]}, ["requests = 0", "between 1 and 100000"]),
    ({"checks": [{"kind": "load", "prometheus_metric": "bad metric"}]}, ["is not a metric"]),
    ({"checks": [{"path": "/", "severity": "fatal"}]}, ['severity = "fatal"', "is not critical or minor"]),
    ({"validation": {"interval": -5}}, ["[environments.prod.validation] interval = -5", "must be between 0 and 86400"]),
    ({"validation": {"on_fail": "ignore"}}, ['on_fail = "ignore"', "is not rollback or warn"]),
    ({"validation": {"intervall": 5}}, ['unknown key "intervall"', 'Did you mean "interval"?']),
    ({"url": "ftp://example.com"}, ["is not an http(s) URL"]),
])
def test_validation_mistakes_are_named(env_extra: dict, fragments: list[str]) -> None:
    message = error_of({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, **env_extra}}})
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(("notify", "fragment"), [
    ([{"format": "teams", "url_env": "X"}], 'format = "teams" (a string) is not json or slack'),
    ([{"url_env": "X", "events": ["deployed"]}], "unknown event(s) deployed"),
    ([{"url_env": "X", "url": "https://x"}], "give exactly one of url_env"),
    ([{}], "give exactly one of url_env"),
    ({"url": "https://x"}, "[top level] notify must be an array of tables"),
])
def test_notifier_mistakes_are_named(notify: object, fragment: str) -> None:
    assert fragment in error_of({"notify": notify})


def test_checks_of_every_kind_load() -> None:
    from deploylib.validate.assets import AssetsCheck, PageCheck
    from deploylib.validate.flow import FlowCheck
    from deploylib.validate.load import LoadCheck
    from deploylib.validate.smoke import SmokeCheck

    config = load({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "checks": [
        {"path": "/", "json": {"ok": True, "db.count": 3}},
        {"kind": "flow", "steps": [{"path": "/login", "method": "POST"}]},
        {"kind": "assets"}, {"kind": "page", "path": "/", "budget_ms": 1500}, {"kind": "load", "requests": 10}]}}})
    kinds = [type(check) for check in config.environments["prod"].checks]
    assert kinds == [SmokeCheck, FlowCheck, AssetsCheck, PageCheck, LoadCheck]


@pytest.mark.parametrize(("build", "fragment"), [
    ({"budgets": [{"glob": "**/*.js", "max": "5OOKB"}]}, 'max = "5OOKB" (a string) is not a size such as "500 KB"'),
    ({"budgets": [{"glob": "**/*.js", "max_gzip": "lots"}]}, 'max_gzip = "lots"'),
    ({"warning_patterns": ["(["]}, "is not a valid regular expression"),
])
def test_build_gate_mistakes_are_named(build: dict, fragment: str) -> None:
    assert fragment in error_of({"build": {"command": "make", **build}})


def test_gates_that_ask_github_need_a_repository() -> None:
    assert "[gate] require_review asks GitHub, but [release.github] repository is not set" in error_of(
        {"gate": {"require_review": True}})


def test_tests_cannot_be_waived_for_a_hotfix() -> None:
    assert '"tests" cannot be waived' in error_of({"gate": {"hotfix_waives": ["tests"]}})


@pytest.mark.parametrize(("lighthouse", "fragment"), [
    ({"scores": {"speed": 90}}, 'names "speed", which is not one of performance'),
    ({"scores": {"performance": 190}}, "performance = 190, which is not a score from 0 to 100"),
])
def test_lighthouse_mistakes_are_named(lighthouse: dict, fragment: str) -> None:
    assert fragment in error_of({"build": {"command": "make", "lighthouse": lighthouse}})


@pytest.mark.parametrize(("command", "problem"), [
    ("pytest -q", ""), ("python3 -m unittest", ""), ("CI=1 FOO=bar python3 -m pytest", ""),
    ("cd web && npm test", ""), ("no-such-test-runner --all", "runs no-such-test-runner, which is not installed"),
    ("./scripts/test.sh", "runs ./scripts/test.sh, which does not exist in"), ("pytest 'unclosed", "not a valid shell"),
])
def test_the_program_a_command_starts(command: str, problem: str, tmp_path: Path) -> None:
    from deploylib.runner import program_problem

    found = program_problem(command, tmp_path)
    assert (problem in found) if problem else found == ""


def test_a_gate_command_that_does_not_exist_stops_at_config_load() -> None:
    assert error_of({"gate": {"audit": "no-such-audit --high"}}) == (
        'deploy.toml: [gate] audit = "no-such-audit --high" runs no-such-audit, which is not installed or not on '
        "PATH. Install it, or fix the command.")
