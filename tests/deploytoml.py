"""deploy.toml text for the end-to-end tests, put together from the parts they vary, so each test file states
its configuration in a line or two and a part's form is written once.

    CONFIG = table("build", command=COPY_SITE, output="out") + local_environment("production", "../live")

Each part starts with a blank line and a header and ends with a newline; values are written as TOML
writes them (strings quoted, booleans `true`/`false`, tables inline), one `key = value` line each, in
the order given, so a test may still `.replace()` a line of the text.
"""

from __future__ import annotations

import json

COPY_SITE = "rm -rf out && mkdir -p out && cp -R site/. out/"  # the build: site/ copied into out/
WELCOME = "<h1>Welcome</h1>"  # the page make_repo writes


def value(item: object) -> str:
    """`item` as a TOML value: str, bool, int, float, a dict (an inline table, with bare keys) or a list of them."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return repr(item)
    if isinstance(item, dict):
        return "{ " + ", ".join(f"{key} = {value(v)}" for key, v in item.items()) + " }"
    if isinstance(item, list):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, str):
        return json.dumps(item, ensure_ascii=False)  # a JSON string is a TOML basic string
    raise TypeError(f"no TOML form for {item!r}")


def table(name: str, /, **keys: object) -> str:
    """`[name]` and its keys, e.g. table("release", push=False)."""
    return f"\n[{name}]\n" + "".join(f"{key} = {value(v)}\n" for key, v in keys.items())


def check(environment: str, /, **keys: object) -> str:
    """One `[[environments.ENV.checks]]` table."""
    return table(f"[environments.{environment}.checks]", **keys)


def local_environment(name: str, path: str, contains: str = WELCOME, /, *, check_name: str = "home",
                      port: int = 0, **keys: object) -> str:
    """`[environments.NAME]` with a local target at `path` (relative to the repository; served on `port` when
    given), its other `keys` (confirm=False, url=…), and one check: "/" contains `contains`, named
    `check_name` ("" for none)."""
    target: dict[str, object] = {"type": "local", "path": path, **({"port": port} if port else {})}
    named = {"name": check_name} if check_name else {}
    return table(f"environments.{name}", target=target, **keys) + check(name, **named, path="/", contains=contains)
