"""Build the demo site into dist/: pages stamped with the release version, minified CSS and
JavaScript, and a source map for each (one output line per kept source line, so the map is exact)."""

import json
import os
import re
import shutil
from pathlib import Path

SRC, DIST = Path("src"), Path("dist")
VERSION = os.environ.get("DEPLOY_VERSION", "dev")
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(value):
    """One number in a source map's base64 VLQ encoding."""
    value = (-value << 1) | 1 if value < 0 else value << 1
    digits = ""
    while True:
        digit, value = value & 31, value >> 5
        digits += _BASE64[digit | (32 if value else 0)]
        if not value:
            return digits


def minify(source, out_name, map_comment):
    """Drop comments, indentation and blank lines; return the code and its source map."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), source.read_text(), flags=re.S)
    kept = [(number, line.strip()) for number, line in enumerate(text.splitlines()) if line.strip()]
    segments, previous = [], 0
    for number, _ in kept:
        segments.append(vlq(0) + vlq(0) + vlq(number - previous) + vlq(0))
        previous = number
    source_map = {"version": 3, "file": out_name, "sources": [f"../../src/{source.relative_to(SRC).as_posix()}"],
                  "sourcesContent": [source.read_text()], "names": [], "mappings": ";".join(segments)}
    code = "\n".join(line for _, line in kept) + "\n" + map_comment.format(f"{out_name}.map") + "\n"
    return code, json.dumps(source_map, sort_keys=True)


def main():
    shutil.rmtree(DIST, ignore_errors=True)
    for page in sorted(SRC.glob("*.html")):
        target = DIST / page.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.read_text().replace("{{version}}", VERSION))
    for source, out_name, comment in ((SRC / "css" / "site.css", "site.min.css", "/*# sourceMappingURL={} */"),
                                      (SRC / "js" / "app.js", "app.min.js", "//# sourceMappingURL={}")):
        code, source_map = minify(source, out_name, comment)
        folder = DIST / source.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / out_name).write_text(code)
        (folder / f"{out_name}.map").write_text(source_map)
    shutil.copytree(SRC / "img", DIST / "img")
    print(f"built {VERSION} into {DIST}/: {sum(1 for p in DIST.rglob('*') if p.is_file())} files")


if __name__ == "__main__":
    main()
