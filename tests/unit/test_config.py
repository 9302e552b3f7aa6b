"""deploy.toml validation: good files load; each mistake gets one message naming file, key and fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from deploylib.config.load import load_file, parse
from deploylib.errors import ConfigError
from deploylib.resources import shipped
from tests.conftest import REPO

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
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {"type": "LOCAL"}}}},
     ['Did you mean "local"?']),  # case aside: none was suggested before
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "target": {"type": "github"}}}},
     ['Did you mean "github-pages"?']),  # a kind the value begins
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
    ({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "lock_wait_s": -1}}},
     ["lock_wait_s = -1", "must be between 0 and 86400 seconds"]),
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


@pytest.mark.parametrize(("name", "table", "text"), [
    ("deploy.toml", (), '[release]\nbranch = "trunk"\n'),
    ("deploy.toml", (), '[release]\r\nbranch = "trunk"\r\n'),
    ("pyproject.toml", ("tool", "deploylib"), '[tool.deploylib.release]\nbranch = "trunk"\n'),
], ids=["deploy.toml", "crlf", "pyproject"])
def test_a_utf8_byte_order_mark_is_read_past(tmp_path: Path, name: str, table: tuple[str, ...], text: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_file(path, tmp_path, table).release.branch == "trunk"


def test_after_a_byte_order_mark_syntax_errors_still_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "deploy.toml"
    path.write_bytes(b"\xef\xbb\xbf[build]\ncommand = \n")
    with pytest.raises(ConfigError, match=r"deploy.toml is not valid TOML: .*line 2"):
        load_file(path, tmp_path)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "deploy.toml"
    path.write_bytes("\ufeff[build]\n".encode(encoding))
    first = "byte 0xff then byte 0xfe" if encoding == "utf-16-le" else "byte 0xfe then byte 0xff"
    with pytest.raises(ConfigError, match=rf"deploy.toml is UTF-16 text: it starts with {first}, .*save it as UTF-8"):
        load_file(path, tmp_path)


def test_a_utf8_file_that_starts_with_the_bytes_of_a_utf16_mark_names_them(tmp_path: Path) -> None:
    path = tmp_path / "deploy.toml"
    path.write_bytes(b"\xff\xfe[build]\ncommand = 'make'\n")  # found by the configuration fuzz: two bytes inserted
    with pytest.raises(ConfigError, match="starts with byte 0xff then byte 0xfe"):
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
    ({"lock_ttl_s": 0}, ["lock_ttl_s = 0 (a whole number) must be more than 0"]),
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
    ({"checks": [{"path": "/", "method": "HEAD", "contains": "Welcome"}]},
     ['(HEAD /) method = "HEAD" is answered without a body, so contains could never be met']),
    ({"checks": [{"path": "/", "status": 204, "json": {"ok": True}, "regex": "^up$"}]},
     ["status = 204 is an answer without a body, so json and regex could never be met"]),
    ({"checks": [{"kind": "load", "paths": ["/"], "prometheus_metric": "errors_total"}]},
     ['prometheus_metric = "errors_total" is set without prometheus_url']),
    ({"checks": [{"kind": "load", "paths": ["/"], "prometheus_url": "/metrics"}]},
     ['prometheus_url = "/metrics" is set without prometheus_metric']),
    ({"checks": [{"path": "/", "severity": "fatal"}]}, ['severity = "fatal"', "is not critical or minor"]),
    ({"validation": {"interval_s": -5}}, ["[environments.prod.validation] interval_s = -5",
                                          "must be between 0 and 86400"]),
    ({"validation": {"on_fail": "ignore"}}, ['on_fail = "ignore"', "is not rollback or warn"]),
    ({"validation": {"intervall": 5}}, ['unknown key "intervall"', 'Did you mean "interval_s"?']),
    ({"url": "ftp://example.com"}, ["is not an http(s) URL"]),
])
def test_validation_mistakes_are_named(env_extra: dict, fragments: list[str]) -> None:
    message = error_of({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, **env_extra}}})
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("check", [
    {"path": "/", "method": "HEAD"}, {"path": "/", "method": "HEAD", "not_contains": "Traceback", "regex": ".*"},
    {"path": "/", "status": 304}, {"path": "/", "status": 201, "contains": "created"},
    {"kind": "load", "paths": ["/"], "prometheus_url": "/metrics", "prometheus_metric": "errors_total"},
], ids=["head", "head-with-what-an-empty-body-meets", "304", "201-with-a-body", "load-with-its-counter"])
def test_checks_whose_keys_can_all_be_met_load(check: dict) -> None:
    assert load({"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, "checks": [check]}}})


@pytest.mark.parametrize(("notify", "fragment"), [
    ([{"format": "teams", "url_env": "X"}], 'format = "teams" is not a known format. Known: json, slack;'),
    ([{"type": "teams", "url_env": "X"}], 'type = "teams" is not a known type. Known: json, slack;'),
    ([{"type": "slack", "format": "slack", "url_env": "X"}], "type and format are both given"),
    ([{"url_env": "X", "events": ["deployed"]}], "unknown event(s) deployed"),
    ([{"url_env": "X", "url": "https://x"}], "give exactly one of url_env"),
    ([{}], "give exactly one of url_env"),
    ({"url": "https://x"}, "[top level] notify must be an array of tables"),
])
def test_notifier_mistakes_are_named(notify: object, fragment: str) -> None:
    assert fragment in error_of({"notify": notify})


@pytest.mark.parametrize("spelling", [{}, {"type": "slack"}, {"format": "slack"}])
def test_a_notifier_is_chosen_by_type_or_the_older_format(spelling: dict) -> None:
    notifier = load({"notify": [{"url_env": "HOOK", **spelling}]}).notify[0]
    assert notifier.type == ("slack" if spelling else "json") and notifier.options.url_env == "HOOK"


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
    ({"budgets": [{"glob": "**/*.js", "max": "5OOKB"}]}, 'max = "5OOKB" (a string) is not a size such as "500 kB"'),
    ({"budgets": [{"glob": "**/*.js", "max_gzip": "lots"}]}, 'max_gzip = "lots"'),
    ({"budgets": [{"glob": "/js/*.js"}]}, 'glob = "/js/*.js" (a string) starts with "/": globs are relative'),
    ({"budgets": [{"glob": "./js/*.js"}]}, 'glob = "./js/*.js" (a string) has a "." or ".." part'),
    ({"budgets": [{"glob": "../*.js"}]}, 'glob = "../*.js" (a string) has a "." or ".." part'),
    ({"budgets": [{"glob": " "}]}, 'glob = " " (a string) is empty'),
    ({"warning_patterns": ["(["]}, "is not a valid regular expression"),
])
def test_build_gate_mistakes_are_named(build: dict, fragment: str) -> None:
    assert fragment in error_of({"build": {"command": "make", **build}})


THE_REPOSITORY, OUTSIDE = "is the repository itself", "is outside the repository"


@pytest.mark.parametrize(("output", "fragment"), [
    (".", THE_REPOSITORY), ("./", THE_REPOSITORY), ("a/..", THE_REPOSITORY), ("..", OUTSIDE), ("../..", OUTSIDE),
    ("/", OUTSIDE), (".git", "is inside .git"), ("./.git/", "is inside .git"), (".git/objects", "is inside .git"),
    ("site/.git", "is inside .git"), (".deploylib", "is inside .deploylib"),
    (".deploylib/artifacts", "is inside .deploylib"), (" ", "is empty"),
])
def test_a_build_output_the_build_could_not_move_aside_and_pack_is_refused(output: str, fragment: str) -> None:
    assert f'[build] output = "{output}" (a string) {fragment}' in error_of({"build": {"command": "make",
                                                                                      "output": output}})


@pytest.mark.parametrize("output", ["dist", "./dist/", "site/public", ".github-pages", "a/../dist"])
def test_a_build_output_folder_of_its_own_loads(output: str) -> None:
    assert load({"build": {"command": "make", "output": output}}).build.output == output


@pytest.mark.parametrize(("path", "fragment"), [
    ("/etc/hosts", "is not a path inside the repository"), ("../CHANGELOG.md", "is not a path inside the repository"),
    ("docs/../../x.md", "is not a path inside the repository"), (".git/description", "is in .git, which is never"),
    (".deploylib/notes.md", "is in .deploylib, which is never"), ("", "is empty"), (" ", "is empty"),
])
@pytest.mark.parametrize("key", ["changelog", "version_files"])
def test_a_file_the_release_could_neither_commit_nor_undo_is_refused(path: str, fragment: str, key: str) -> None:
    value = path if key == "changelog" else [f"{path}:v={{version}}"]
    message = error_of({"release": {key: value}})
    assert f"[release] {key} = " in message and fragment in message


@pytest.mark.parametrize(("value", "shown"), [
    (dt.date(1979, 5, 27), "1979-05-27 (a date)"), (dt.time(7, 32), "07:32:00 (a time)"),
    (dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC), "1979-05-27T07:32:00+00:00 (a date and time)"),
    (dt.datetime(1979, 5, 27, 7, 32), "1979-05-27T07:32:00 (a date and time)"),  # TOML's local date-time
    (dt.time(7, 32, 0, 999000), "07:32:00.999000 (a time)"),
])
def test_a_date_or_time_where_a_value_of_another_type_belongs_is_shown_as_toml_writes_it(value: object,
                                                                                        shown: str) -> None:
    assert f"lock_wait_s must be seconds to wait for another deploy's lock, e.g. 60, got {shown}." in error_of(
        {"environments": {"prod": {**MINIMAL_ENV, "lock_wait_s": value}}})


def test_gates_that_ask_github_need_a_repository() -> None:
    assert "[gate] require_review asks GitHub, but [release.github] repository is not set" in error_of(
        {"gate": {"require_review": True}})


@pytest.mark.parametrize("release", [
    {"github": {"repository": "acme/site"}},  # the older table
    {"forge": {"type": "github", "repository": "acme/site"}},
])
def test_the_forge_is_read_from_either_table(release: dict) -> None:
    forge = load({"release": release}).release.forge
    assert forge is not None and (forge.type, forge.options.repository) == ("github", "acme/site")
    assert forge.options.api_url == "https://api.github.com" and forge.options.upload_artifact


def test_an_empty_github_repository_means_no_forge() -> None:
    assert load({"release": {"github": {"repository": ""}}}).release.forge is None


@pytest.mark.parametrize(("release", "fragments"), [
    ({"forge": {"type": "gitlab"}}, ['[release.forge] type = "gitlab" is not a known type', "Known: github",
                                     "deploylib.forges"]),
    ({"forge": {"repository": "acme/site"}}, ["[release.forge] type is missing", "github"]),
    ({"forge": {"type": "github"}}, ["[release.forge] repository is missing"]),
    ({"forge": {"type": "github", "repository": "acme/site"}, "github": {"repository": "acme/site"}},
     ["[release.github] and [release.forge] are both given", "Keep one"]),
])
def test_forge_mistakes_are_named(release: dict, fragments: list[str]) -> None:
    message = error_of({"release": release})
    assert all(fragment in message for fragment in fragments), message


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
    ("./bin/plain.sh --now", "runs ./bin/plain.sh, which is not executable (chmod +x ./bin/plain.sh"),
    ("./bin", "runs ./bin, which is a folder, not a program"),
    ("./bin/orphan.sh", "runs ./bin/orphan.sh, whose first line starts it with /no/such/sh, which is not installed"),
    ("./bin/ok.sh --now", ""), ("DEPLOY=1 ./bin/binary", ""),
    # what the shell runs itself: no program to find on PATH
    ("exit 3", ""), ("umask 022 && pytest", ""), ("ulimit -n 4096; pytest", ""), ("unset CI; pytest", ""),
    ("trap 'rm -f x' EXIT; pytest", ""), ("until pytest; do :; done", ""), ("(cd web && npm test)", ""),
    ("(no-such-test-runner)", "runs no-such-test-runner, which is not installed"),
])
def test_the_program_a_command_starts(command: str, problem: str, tmp_path: Path) -> None:
    from deploylib.programs import program_problem

    (tmp_path / "bin").mkdir()
    for name, text, mode in (("plain.sh", "#!/bin/sh\n", 0o644), ("orphan.sh", "#!/no/such/sh\n", 0o755),
                             ("ok.sh", "#!/bin/sh -e\n", 0o755), ("binary", "\x7fELF", 0o755)):
        (tmp_path / "bin" / name).write_text(text)
        (tmp_path / "bin" / name).chmod(mode)
    found = program_problem(command, tmp_path)
    assert (problem in found) if problem else found == ""


def test_a_gate_command_that_is_not_installed_loads_the_gate_judges_it() -> None:
    assert load({"gate": {"audit": "no-such-audit --high"}}).gate.audit == "no-such-audit --high"


@pytest.mark.parametrize(("target", "url", "problem"), [
    ({"type": "github-pages", "remote": "../pages.git"}, "", "its github-pages target cannot serve releases"),
    ({"type": "command", "deploy": "true"}, "", "its command target cannot serve releases"),
    ({"type": "ssh", "path": "/srv", "hosts": [{"address": "web1", "path": "/srv"}]}, "",
     "its ssh target cannot serve releases"),
    ({"type": "ssh", "path": "/srv", "hosts": [{"address": "web1", "path": "/srv", "url": "http://web1"}]}, "", ""),
    ({"type": "github-pages", "remote": "../pages.git"}, "https://acme.github.io/site", ""),
    ({"type": "local", "path": "../live"}, "", ""),
])
def test_an_environment_whose_target_cannot_serve_itself_needs_a_url(target: dict, url: str, problem: str) -> None:
    env = {**MINIMAL_ENV, "target": target, **({"url": url} if url else {})}
    data = {"build": {"command": "make"}, "environments": {"docs": env}}
    if problem:
        assert f"deploy.toml: [environments.docs] url is missing: {problem}" in error_of(data)
    else:
        assert load(data).environments["docs"].target.type == target["type"]


@pytest.mark.parametrize(("target", "hint"), [
    ({"type": "github-pages", "remote": "git@github.com:acme/site.git"}, 'url = "https://acme.github.io/site"'),
    ({"type": "github-pages", "remote": "https://github.com/Acme/docs"}, 'url = "https://acme.github.io/docs"'),
    ({"type": "github-pages", "remote": "ssh://git@github.com/acme/acme.github.io.git"},
     'url = "https://acme.github.io"'),
    ({"type": "github-pages", "remote": "git@github.com:acme/site.git", "cname": "docs.acme.dev"},
     'url = "https://docs.acme.dev"'),
    ({"type": "github-pages", "remote": "../pages.git"}, 'url = "https://OWNER.github.io/REPO"'),
    ({"type": "ssh", "path": "/srv", "hosts": [{"address": "deploy@web1.example.com"}]},
     'url = "https://web1.example.com"'),
    ({"type": "command", "deploy": "NODE_ENV=production netlify deploy --prod"}, "once netlify has published it"),
    ({"type": "command", "deploy": "./publish.sh --all"}, "once ./publish.sh has published it"),
], ids=["pages-ssh-remote", "pages-https-remote", "pages-user-site", "pages-cname", "pages-local-remote", "ssh",
        "command", "command-script"])
def test_the_missing_url_hint_fits_the_target(target: dict, hint: str) -> None:
    env = {**MINIMAL_ENV, "target": target}
    said = error_of({"build": {"command": "make"}, "environments": {"docs": env}})
    assert hint in said
    assert "github.io" not in said or target["type"] == "github-pages"  # no Pages address for other targets



def env_with(**extra: object) -> dict:
    return {"build": {"command": "make"}, "environments": {"prod": {**MINIMAL_ENV, **extra}}}


def check_with(**check: object) -> dict:
    return env_with(checks=[{"path": "/", **check}])


@pytest.mark.parametrize(("data", "fragments"), [
    # git names, as git check-ref-format judges them
    ({"release": {"branch": "a..b"}}, ['[release] branch = "a..b"', 'contains ".."', "valid git branch name"]),
    ({"release": {"branch": ""}}, ['[release] branch = ""', "is empty"]),
    ({"release": {"branch": "-f"}}, ["branch", 'starts with "-"']),
    ({"release": {"remote": ""}}, ['[release] remote = ""', "is empty"]),
    ({"release": {"remote": "my remote"}}, ["[release] remote", "contains ' '"]),
    ({"release": {"tag_format": "v {version}"}}, ["[release] tag_format", 'makes the tag "v 0.1.0"']),
    ({"release": {"tag_format": "{version}.lock"}}, ["tag_format", '".lock"']),
    ({"release": {"tag_format": "{version}-{version}"}}, ["tag_format", "exactly once"]),
    ({"release": {"tag_format": "{version}/"}}, ["tag_format", "empty part"]),
    (env_with(target={"type": "github-pages", "remote": "x.git", "branch": "gh pages"}),
     ["[environments.prod.target] branch", "contains ' '"]),
    (env_with(target={"type": "github-pages", "remote": "--upload-pack=x"}), ["remote", 'starts with "-"']),
    (env_with(target={"type": "github-pages", "remote": "x", "cname": "www.ex ample.com"}),
     ["cname", "not a host name"]),
    # URLs: one check everywhere
    (env_with(url="http://"), ['[environments.prod] url = "http://"', "has no host"]),
    (env_with(url="http://[::1"), ["url", "is not a well-formed URL"]),
    (env_with(url="http://example.com\n"), ['url = "http://example.com\\n"', "control character"]),
    (env_with(url="http://exa mple.com"), ["url", "a space"]),
    (env_with(url="http://example.com:99999"), ["url", "is not a well-formed URL"]),
    (env_with(url="http://-bad-.com"), ["url", "not a host name"]),
    ({"release": {"github": {"api_url": ""}}}, ['[release.github] api_url = ""', "is empty"]),
    ({"notify": [{"url": "https://"}]}, ["[notify[0]] url", "has no host"]),
    (check_with(path="http://"), ["checks[0]] path", "has no host"]),
    # emptiness that cannot work
    ({"build": {"output": ""}}, ['[build] output = ""', "is empty"]),
    # an output the build would move aside and back must be the build's, inside the repository
    ({"build": {"output": "/var/www/html"}}, ['[build] output = "/var/www/html"', "is outside the repository"]),
    ({"build": {"output": "../dist"}}, ['[build] output = "../dist"', "is outside the repository"]),
    ({"build": {"output": "web/../../dist"}}, ["is outside the repository"]),
    ({"build": {"output": "."}}, ['[build] output = "."', "is the repository itself"]),
    ({"build": {"output": "./"}}, ["is the repository itself"]),
    ({"build": {"output": ".deploylib/out"}}, ["is inside .deploylib"]),
    ({"build": {"output": ".git"}}, ["is inside .git"]),
    ({"build": {"command": "  "}}, ['[build] command = "  "', "runs no program"]),
    ({"gate": {"tests": "CI=1"}}, ['[gate] tests = "CI=1"', "runs no program"]),
    (env_with(target={"type": "command", "deploy": "x", "rollback": " "}), ["target] rollback", "runs no program"]),
    ({"release": {"changelog": ""}}, ["[release] changelog", "is empty"]),
    (env_with(target={"type": "local", "path": ""}), ["[environments.prod.target] path", "is empty"]),
    (env_with(target={"type": "command", "deploy": " "}), ["[environments.prod.target] deploy", "runs no program"]),
    (env_with(target={"type": "github-pages", "remote": ""}), ["[environments.prod.target] remote", "is empty"]),
    ({"build": {"budgets": [{"glob": ""}]}}, ["[build.budgets[0]] glob", "is empty"]),
    ({"build": {"lighthouse": {"command": ""}}}, ["[build.lighthouse] command", "runs no program"]),
    ({"build": {"warning_patterns": [""]}}, ["[build] warning_patterns", "is empty"]),
    ({"build": {"env": {"A=B": "1"}}}, ["[build] env", 'variable name "A=B"']),
    ({"gate": {"blocking_labels": [""]}}, ["[gate] blocking_labels", "empty label"]),
    # NUL, inf, nan and integers beyond 64 bits, wherever they sit
    ({"build": {"command": "make\0"}}, ['[build] command = "make\\u0000"', "NUL character"]),
    ({"build": {"env": {"A": "\0"}}}, ["[build] env", "NUL character"]),
    (check_with(json={"a": ["\0"]}), ["checks[0]] json.a[0] = \"\\u0000\"", "NUL character"]),
    (check_with(headers={"Authorization": 2**64}), ["checks[0]] headers.Authorization = 18446744073709551616"]),
    (env_with(lock_wait_s=float("inf")), ["lock_wait_s = inf", "not a finite number"]),
    (env_with(validation={"interval_s": float("nan")}), ["interval_s = nan", "not a finite number"]),
    (env_with(keep_releases=2**64), ["keep_releases", "beyond the 64-bit"]),
    # environment names become doit task names
    ({"build": {"command": "make"}, "environments": {"prod\n": MINIMAL_ENV}}, ['[environments] "prod\\n"']),
    ({"build": {"command": "make"}, "environments": {"a:b": MINIMAL_ENV}}, ['[environments] "a:b" is not a usable']),
    # headers http.client can send
    (check_with(headers={"X-Rocket": "🚀"}), ["checks[0]] headers", '"X-Rocket" = "🚀"', "latin-1"]),
    (check_with(headers={"X": "a\r\nInjected: 1"}), ["headers", "no line breaks"]),
    (check_with(headers={"Bad Name": "1"}), ["headers", 'header name "Bad Name"']),
    (check_with(headers={"": "1"}), ["headers", 'header name ""']),
    (check_with(headers={"X": " lead"}), ["headers", "no leading space"]),
    (env_with(checks=[{"kind": "flow", "steps": [{"path": "/", "headers": {"X": "é\n"}}]}]),
     ["steps[0]] headers", "not a header value"]),
    # waits and counts the code can use
    (env_with(validation={"initial_delay_s": 9223372036854775807}), ["initial_delay_s = 9223372036854775807",
                                                                    "between 0 and 86400 seconds"]),
    (check_with(timeout_s=1e12), ["checks[0]] timeout_s", "at most 86400 seconds"]),
    (check_with(retry_delay_s=1e12), ["retry_delay_s", "86400"]),
    (check_with(retries=10**9), ["checks[0]] retries", "between 0 and 100"]),
    (env_with(checks=[{"kind": "load", "window_s": 1e9}]), ["window_s", "86400"]),
    # lists that leave nothing to check (a load check over no paths divided by zero)
    (env_with(checks=[{"kind": "load", "paths": []}]), ["checks[0]] paths = []", "is empty"]),
    (env_with(checks=[{"kind": "assets", "pages": []}]), ["checks[0]] pages = []", "is empty"]),
    (env_with(checks=[{"kind": "flow", "steps": []}]), ["checks[0]] steps", "is empty"]),
    ({"build": {"lighthouse": {"pages": []}}}, ["[build.lighthouse] pages = []", "is empty"]),
    # globs the code reading them could not use (pathlib's glob rules; wcmatch's expansion limit)
    ({"gate": {"tests": "pytest", "junit": "/tmp/reports/*.xml"}}, ['[gate] junit = "/tmp/reports/*.xml"',
                                                                    "relative to the repository"]),
    ({"gate": {"tests": "pytest", "junit": "reports/**.xml"}}, ["[gate] junit", '"**" only as a whole part']),
    (env_with(checks=[{"kind": "command", "command": "x", "junit": "/r/*.xml"}]),
     ["checks[0]] junit", "relative to the repository"]),
    (env_with(checks=[{"kind": "command", "command": "x", "junit": "**x/*.xml"}]),
     ["checks[0]] junit", '"**" only as a whole part']),
    ({"build": {"budgets": [{"glob": "{1..100000}.js", "max": "1 kB"}]}},
     ["[build.budgets[0]] glob", "expands to more than"]),
    ({"notify": [{"url_env": "X", "timeout_s": 1e10}]}, ["[notify[0]] timeout_s", "86400"]),
    (env_with(lock_wait_s=86401), ["lock_wait_s = 86401", "86400"]),
    ({"release": {"github": {"repository": "acme/.."}}}, ['[release.github] repository = "acme/.."', "OWNER/NAME"]),
    ({"build": {"lighthouse": {"pages": ["index.html"]}}}, ["[build.lighthouse] pages", 'not a path starting with']),
    # an item of the wrong type is named by its index or key
    ({"gate": {"blocking_labels": ["a", 3]}}, ["[gate] blocking_labels[1] = 3 (a whole number), which is not a"]),
    ({"gate": {"blocking_labels": [dt.date(2020, 1, 2)]}},
     ["[gate] blocking_labels[0] = 2020-01-02 (a date), which is not a string"]),
    (check_with(headers={"X-Trace": 0}), ["checks[0]] headers.X-Trace = 0 (a whole number), which is not a string"]),
    # the kind key of a check, and of a target
    (env_with(checks=[{"kind": []}]), ["[environments.prod.checks[0]] kind must be a string", "got []."]),
    (env_with(target={"path": "x"}), ["[environments.prod.target] type is missing", "local"]),
    (env_with(target={"type": 3, "path": "x"}), ["[environments.prod.target] type must be a string"]),
])
def test_values_that_cannot_work_are_refused_naming_key_and_form(data: dict, fragments: list[str]) -> None:
    message = error_of(data)
    assert message.startswith("deploy.toml")
    for fragment in fragments:
        assert fragment in message


# Every option whose empty value means "none" (config.schema.optional): empty loads, a bad value is refused.
PAGES = {"type": "github-pages", "remote": "x"}
COMMAND = {"type": "command", "deploy": "x"}
URL = "https://x.example"  # neither target serves itself
OPTIONAL = [
    ("build command", {"build": {"command": ""}}, {"build": {"command": "CI=1"}}, "runs no program"),
    ("gate tests", {"gate": {"tests": ""}}, {"gate": {"tests": "CI=1"}}, "runs no program"),
    ("gate audit", {"gate": {"audit": ""}}, {"gate": {"audit": "CI=1"}}, "runs no program"),
    ("command rollback", env_with(target={**COMMAND, "rollback": ""}, url=URL),
     env_with(target={**COMMAND, "rollback": "A=1"}, url=URL), "runs no program"),
    ("command live", env_with(target={**COMMAND, "live": ""}, url=URL),
     env_with(target={**COMMAND, "live": "A=1"}, url=URL), "runs no program"),
    ("pages cname", env_with(target={**PAGES, "cname": ""}, url=URL),
     env_with(target={**PAGES, "cname": "-x"}, url=URL), "not a host name"),
    ("browser goto", env_with(checks=[{"kind": "browser", "steps": [{"goto": "", "click": "a"}]}]),
     env_with(checks=[{"kind": "browser", "steps": [{"goto": "login"}]}]), 'does not start with "/"'),
    ("github repository", {"release": {"github": {"repository": ""}}},
     {"release": {"github": {"repository": "acme/.."}}}, "OWNER/NAME"),
    ("load prometheus_url", env_with(checks=[{"kind": "load", "prometheus_url": ""}]),
     env_with(checks=[{"kind": "load", "prometheus_url": "metrics"}]), 'does not start with "/"'),
]


def browser_check(**keys: object) -> dict:
    return env_with(checks=[{"kind": "browser", **keys}])


# Every key of a browser check that holds a selector: (the key, a check with it set to a value, where it sits,
# the form it is read in).
SELECTOR_KEYS = [
    ("selector", lambda v: browser_check(selector=v), "checks[0]", "is not a valid selector"),
    ("click", lambda v: browser_check(steps=[{"click": v}]), "checks[0].steps[0]", "is not a valid selector"),
    ("fill", lambda v: browser_check(steps=[{"fill": v, "value": "x"}]), "checks[0].steps[0]",
     "is not a valid selector"),
    ("press", lambda v: browser_check(steps=[{"press": v, "key": "Enter"}]), "checks[0].steps[0]",
     "is not a valid selector"),
    ("wait_for", lambda v: browser_check(steps=[{"wait_for": v}]), "checks[0].steps[0]", "is not a valid selector"),
    ("selector", lambda v: browser_check(steps=[{"expect_text": "Hi", "selector": v}]), "checks[0].steps[0]",
     "is not a valid CSS selector"),
]
IDS = [f"{where.rpartition('.')[2]} {key}" for key, _, where, _ in SELECTOR_KEYS]


@pytest.mark.parametrize(("key", "make", "where", "form"), SELECTOR_KEYS, ids=IDS)
def test_a_selector_that_cannot_parse_is_refused_at_load_naming_key_and_value(key: str, make, where: str,
                                                                               form: str) -> None:
    assert error_of(make("div[class=x")).startswith(
        f'deploy.toml: [environments.prod.{where}] {key} = "div[class=x" (a string) {form}: a string, bracket or '
        "parenthesis is never closed; it must be ")


@pytest.mark.parametrize("make", [case[1] for case in SELECTOR_KEYS], ids=IDS)
def test_a_selector_key_loads_a_valid_selector_and_its_empty_default(make) -> None:
    load(make("main #app > h1.title"))
    load(browser_check(steps=[{"goto": "/"}]))


@pytest.mark.parametrize("make", [case[1] for case in SELECTOR_KEYS[:5]], ids=IDS[:5])
def test_a_locator_key_takes_playwright_syntax(make) -> None:
    load(make('text="Log in" >> nth=0'))
    load(make('role=button[name="Save"]'))


def test_the_selector_of_an_expect_text_step_takes_only_plain_css() -> None:
    message = error_of(browser_check(steps=[{"expect_text": "Hi", "selector": "text=Hi"}]))
    assert 'selector = "text=Hi" (a string) is a Playwright selector' in message and "takes plain CSS" in message


def test_a_wait_for_url_path_is_no_selector() -> None:
    load(browser_check(steps=[{"wait_for": "/dashboard?tab=1"}]))


@pytest.mark.parametrize(("empty", "bad", "problem"), [case[1:] for case in OPTIONAL], ids=[c[0] for c in OPTIONAL])
def test_an_option_meaning_none_when_empty_loads_empty_and_refuses_a_bad_value(empty: dict, bad: dict,
                                                                              problem: str) -> None:
    load(empty)
    assert problem in error_of(bad)


@pytest.mark.parametrize("data", [
    {"release": {"branch": "release/1.x", "remote": "upstream", "tag_format": "release-{version}"}},
    {"release": {"tag_format": "{version}", "github": {"api_url": "https://github.example.com/api/v3"}}},
    env_with(url="http://[::1]:8080/site"),
    env_with(url="https://xn--bcher-kva.example/"),
    env_with(url="http://127.0.0.1:8080"),
    check_with(headers={"Accept": "text/html", "X-Empty": "", "X-Latin": "café\tà"}),
    check_with(contains="multi\nline", timeout_s=86400, retries=100),
    env_with(target={"type": "github-pages", "remote": "git@github.com:acme/site.git", "branch": "pages/live",
                     "cname": "www.example.com"}, url="https://www.example.com"),
    env_with(validation={"initial_delay_s": 0, "interval_s": 0.5, "duration_s": 86400}),
])
def test_usable_values_are_accepted(data: dict) -> None:
    assert load(data).path.name == "deploy.toml"


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_bytes_that_are_not_utf8_name_their_offset_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "deploy.toml", b'[build]\ncommand = "mak\xe9"\n')
    with pytest.raises(ConfigError, match=r"deploy.toml is not UTF-8 text: byte 0xe9 at offset 22 \(line 2, column 15"):
        load_file(path, tmp_path)


@pytest.mark.parametrize(("text", "fragment"), [pytest.param(text, fragment, id=name) for name, text, fragment in [
    ("arrays", "x = " + "[" * 1000 + "]" * 1000, "line 1: x nests arrays or inline tables more than 32 deep"),
    ("inline tables", "[build]\nenv = " + "{a = " * 1000 + "1" + "}" * 1000, "line 2: env nests"),
    ("after brackets in a string", '[build]\ncommand = "' + "[" * 40 + '"\nx = ' + "[" * 40 + "]" * 40,
     "line 3: x nests"),
    ("dotted keys", "[build.env]\n" + ".".join(["a"] * 1000) + " = 1", "deploy.toml: [build.env.a.a.a"),
    ("a table header", "[" + ".".join(["a"] * 1000) + "]\nx = 1", "deploy.toml: [a.a.a.a"),
]])
def test_nesting_beyond_32_levels_is_refused_naming_the_key(text: str, fragment: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_file(write(tmp_path, "deploy.toml", text.encode()), tmp_path)
    assert fragment in str(caught.value) and "32" in str(caught.value)


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting(tmp_path: Path) -> None:
    text = ('[build]\nenv = {A = "\\"' + "[" * 40 + '", B = \'' + "[" * 40 + "'}  # " + "{" * 40 + "\n"
            '[release]\ntemplates = """\n' + "{" * 40 + '\\"' + '"""\n')
    config = load_file(write(tmp_path, "deploy.toml", text.encode()), tmp_path)
    assert config.build.env == {"A": '"' + "[" * 40, "B": "[" * 40}
    assert config.release.templates == "{" * 40 + '"'


@pytest.mark.parametrize(("text", "fragment"), [
    ("[tool]\ndeploylib = [1, 2]\n", "pyproject.toml: [tool] deploylib must be a table ([tool.deploylib]), got [1, 2]"),
    ("[tool]\ndeploylib = 3\n", "pyproject.toml: [tool] deploylib must be a table ([tool.deploylib]), got 3"),
    ("tool = 3\n", "pyproject.toml: [top level] tool must be a table ([tool]), got 3"),
])
def test_a_deploylib_table_that_is_not_a_table_is_named(text: str, fragment: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_file(write(tmp_path, "pyproject.toml", text.encode()), tmp_path, ("tool", "deploylib"))
    assert str(caught.value).startswith(fragment)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"[tool]\ndeploylib = 3\n", "pyproject.toml: [tool] deploylib must be a table"),
    (b'[project]\nname = "caf\xe9"\n', "pyproject.toml is not UTF-8 text: byte 0xe9 at offset 21 (line 2, column 12)"),
])
def test_finding_the_configuration_in_pyproject_refuses_an_unreadable_file(content: bytes, fragment: str,
                                                                           tmp_path: Path) -> None:
    from deploylib.state.workspace import discover

    write(tmp_path, "pyproject.toml", content)
    with pytest.raises(ConfigError) as caught:
        discover(tmp_path)
    assert str(caught.value).startswith(fragment)


def test_a_deploy_toml_beside_a_deploylib_table_in_pyproject_is_refused_naming_both(tmp_path: Path) -> None:
    from deploylib.state.workspace import discover

    write(tmp_path, "deploy.toml", b'[release]\nbranch = "main"\n')
    write(tmp_path, "pyproject.toml", b'[project]\nname = "site"\n[tool.deploylib.release]\nbranch = "trunk"\n')
    with pytest.raises(ConfigError) as caught:
        discover(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'deploy.toml'} and [tool.deploylib] in "
                                        f"{tmp_path / 'pyproject.toml'} both configure deploylib")


@pytest.mark.parametrize(("text", "fragment"), [
    ('demo = "yes"\n', 'deploy.toml: [top level] demo must be true or false, not "yes"'),
    ('demo = true\n[environments.production]\nurl = "http://127.0.0.1:1"\n',
     "demo = true makes the deploy tasks run the embedded demo, so [environments] would never be deployed"),
])
def test_the_demo_key_is_a_boolean_and_excludes_environments(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "deploy.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_file(path, tmp_path)
    assert fragment in str(err.value)


def test_deploylibs_own_pyproject_releases_itself_and_keeps_the_demo() -> None:
    config = load_file(REPO / "pyproject.toml", REPO, ("tool", "deploylib"))
    assert config.demo and not config.environments
    assert config.release.version_files[0] == "pyproject.toml" and not config.release.push


SSH_TARGET = {"type": "ssh", "hosts": [{"address": "web1"}], "path": "/srv/site"}


@pytest.mark.parametrize(("old", "new", "where", "data"), [
    ("lock_wait", "lock_wait_s", lambda env: env.lock_wait_s, {"lock_wait": 7}),
    ("lock_ttl", "lock_ttl_s", lambda env: env.target.options.lock_ttl_s, {"target": {**SSH_TARGET, "lock_ttl": 7}}),
    ("initial_delay", "initial_delay_s", lambda env: env.validation.initial_delay_s,
     {"validation": {"initial_delay": 7}}),
    ("interval", "interval_s", lambda env: env.validation.interval_s, {"validation": {"interval": 7}}),
    ("duration", "duration_s", lambda env: env.validation.duration_s, {"validation": {"duration": 7}}),
])
def test_an_old_duration_key_still_works_and_is_noted(old: str, new: str, where, data: dict) -> None:
    config = load(env_with(url="https://a.example", **data))
    assert where(config.environments["prod"]) == 7
    ((said, now),) = config.renamed
    assert said.endswith(f"] {old}") and now == new


@pytest.mark.parametrize(("data", "message"), [
    ({"lock_wait": 1, "lock_wait_s": 2}, "deploy.toml: [environments.prod] lock_wait_s and lock_wait are both given, "
                                         "but lock_wait is the old name of lock_wait_s"),
    ({"validation": {"duration": 1, "duration_s": 2}}, "[environments.prod.validation] duration_s and duration are "
                                                       "both given"),
    ({"target": {**SSH_TARGET, "lock_ttl": 1, "lock_ttl_s": 2}}, "[environments.prod.target] lock_ttl_s and "
                                                                 "lock_ttl are both given"),
])
def test_an_old_and_a_new_name_of_one_key_together_are_refused(data: dict, message: str) -> None:
    assert message in error_of(env_with(url="https://a.example", **data))


def test_a_bad_value_under_an_old_name_is_named_as_written() -> None:
    assert '[environments.prod] lock_wait = -1 (a whole number) must be between 0' in error_of(env_with(lock_wait=-1))


def test_the_new_names_load_without_a_notice() -> None:
    config = load(env_with(lock_wait_s=3, validation={"initial_delay_s": 1, "interval_s": 2, "duration_s": 4}))
    env = config.environments["prod"]
    assert (env.lock_wait_s, env.validation.interval_s, config.renamed) == (3, 2, ())


def test_the_notice_of_old_names_is_one_line_on_stderr_once_per_run(tmp_path: Path) -> None:
    import subprocess
    import sys

    write(tmp_path, "deploy.toml", b'[build]\ncommand = "true"\n[environments.prod]\nlock_wait = 5\n'
                                   b'target = {type = "local", path = "out"}\nvalidation = {interval = 1}\n'
                                   b'[[environments.prod.checks]]\npath = "/"\n')
    loads_twice = ("from pathlib import Path; from deploylib.state.workspace import discover; "
                   "discover(Path.cwd()); discover(Path.cwd())")
    ran = subprocess.run([sys.executable, "-c", loads_twice], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert ran.stdout == "" and ran.stderr.count("\n") == 1
    assert ran.stderr == ("! deploy.toml uses old key names: [environments.prod.validation] interval is now "
                          "interval_s, [environments.prod] lock_wait is now lock_wait_s. They still work for now; "
                          "rename them.\n")


@pytest.mark.parametrize(("release", "address"), [
    ({"forge": {"type": "github", "repository": "acme/site"}}, "https://github.com/acme/site"),
    ({"github": {"repository": "acme/site"}}, "https://github.com/acme/site"),  # the older table
    ({"forge": {"type": "github", "repository": "acme/site", "api_url": "https://api.github.com/"}},
     "https://github.com/acme/site"),
    ({"forge": {"type": "github", "repository": "acme/site", "api_url": "https://git.acme.dev/api/v3"}},
     "https://git.acme.dev/acme/site"),  # GitHub Enterprise
])
def test_the_repository_web_address_comes_from_the_forge_options(release: dict, address: str) -> None:
    from deploylib.forge import web_url

    assert web_url(load({"release": release}).release) == address


def test_without_a_forge_the_repository_has_no_web_address() -> None:
    from deploylib.forge import web_url
    from deploylib.forge.base import ForgeOptions

    assert web_url(load({}).release) == "" and ForgeOptions().web_url() == ""


@pytest.mark.parametrize(("name", "meant"), [
    ("deplyo.toml", True), ("deploytoml", True), ("deploy.tomll", True), ("Deploy.TOML", True),
    ("my-deploy.toml", True),  # 14 characters: the longest a 0.85 ratio to deploy.toml allows
    (".deploylib.toml", True), ("deploylib.yaml", True),
    ("the-deploy.toml", False),  # 15: too long to be that close (ratio 0.846)
    ("deploy.py", False), ("dodo.py", False), ("README.md", False), ("pyproject.toml", False),
])
def test_a_file_named_like_deploy_toml_is_taken_for_a_misnamed_configuration(name: str, meant: bool) -> None:
    from deploylib.state.workspace import misnamed_config

    assert misnamed_config([name]) == (name if meant else "")
