"""Hostile build outputs and crafted artifacts: every case is refused with a clear error (or deployed
exactly), before anything is unpacked or tagged; no traceback, no hang. And a release whose files no
longer match its manifest is never made live, by a deploy or by a rollback."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib.build.artifact import FileReader, git_listing_line, load_manifest, pack
from deploylib.errors import ArtifactError, BuildError
from deploylib.model import Artifact
from deploylib.targets.local import LocalOptions, LocalTarget
from tests.conftest import build_artifact, git, run_doit
from tests.e2e.test_user_repo import CONFIG, make_repo
from tests.integration.test_fingerprint import forge_two_as_one

pytestmark = pytest.mark.reliability

SITE = {"index.html": "<h1>one</h1>", "css/site.css": "body{}"}


@pytest.fixture
def target(tmp_path: Path) -> LocalTarget:
    """A local target already serving a good release: what every refusal must leave live."""
    live = LocalTarget(LocalOptions(path="site"), root=tmp_path, environment="production")
    live.activate(live.deploy(build_artifact(tmp_path, "1.0.0", SITE)), "ci")
    return live


def releases_folder_holds_only_the_live_one(target: LocalTarget) -> bool:
    live = target.live()
    return live is not None and sorted(p.name for p in target.store.folder.iterdir()) == [
        live.id, f"{live.id}.json", f"{live.id}.manifest.json"]


# -- build outputs: anything but regular files and folders is refused by path, without being read --------


def fifo(path: Path) -> None:
    os.mkfifo(path)


def char_device(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))  # /dev/zero: reading it never ends


def block_device(path: Path) -> None:
    os.mknod(path, stat.S_IFBLK | 0o644, os.makedev(7, 0))


def unix_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


def symlink_out(path: Path) -> None:
    path.symlink_to("/etc/passwd")


def symlink_to_folder(path: Path) -> None:
    path.symlink_to(path.parent)


def dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def symlink_loop(path: Path) -> None:
    path.symlink_to(path)


SPECIAL = {"fifo": (fifo, "a fifo"), "character device": (char_device, "a character device"),
           "block device": (block_device, "a block device"), "socket": (unix_socket, "a socket"),
           "symlink out": (symlink_out, "symlink"), "symlink to a folder": (symlink_to_folder, "symlink"),
           "dangling symlink": (dangling_symlink, "symlink"), "symlink loop": (symlink_loop, "symlink")}


def output_with(tmp_path: Path, make: Callable[[Path], None], where: str) -> Path:
    tree = tmp_path / "out"
    for name, text in SITE.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    (tree / where).parent.mkdir(parents=True, exist_ok=True)
    make(tree / where)
    return tree


@pytest.mark.parametrize("where", ["odd", "deep/er/odd"])
@pytest.mark.parametrize("kind", SPECIAL)
def test_a_special_file_in_the_build_output_is_refused_by_path_without_reading_it(tmp_path: Path, kind: str,
                                                                                where: str) -> None:
    make, what = SPECIAL[kind]
    tree = output_with(tmp_path, make, where)
    with pytest.raises(BuildError, match=what) as refused:
        pack(tree, tmp_path / "artifacts", "1.0.0", "c")
    assert str(tree / where) in str(refused.value)
    assert [p.name for p in (tmp_path / "artifacts").iterdir()] == []  # nothing half-packed is left


@pytest.mark.parametrize("kind", [*SPECIAL, "regular file"])
def test_a_build_output_that_is_not_itself_a_folder_is_refused_without_reading_it(tmp_path: Path, kind: str) -> None:
    make, what = SPECIAL.get(kind, (lambda path: path.write_text("x"), "a file"))
    output = tmp_path / "out"
    make(output)
    with pytest.raises(BuildError) as refused:
        pack(output, tmp_path / "artifacts", "1.0.0", "c")
    assert f"{output} is " in str(refused.value) and what in str(refused.value) and "not a folder" in str(refused.value)
    assert [p.name for p in (tmp_path / "artifacts").iterdir()] == []


def test_a_folder_of_the_build_output_that_cannot_be_listed_is_named_as_the_builds_fault(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = output_with(tmp_path, lambda path: path.mkdir(), "deep")
    monkeypatch.chdir(tree / "deep")
    for _ in range(25):  # made one step at a time: its whole path is longer than the system takes (4096)
        os.mkdir("d" * 200)
        os.chdir("d" * 200)
    with pytest.raises(BuildError, match="Cannot list .* in the build output: File name too long"):
        pack(tree, tmp_path / "artifacts", "1.0.0", "c")
    assert [p.name for p in (tmp_path / "artifacts").iterdir()] == []


@pytest.mark.parametrize(("name", "why"), [("new\nline.html", "control character"), ("tab\t.html", "control character"),
                                          ("bell\x07", "control character"), ("del\x7f.css", "control character"),
                                          ("bad-\udcff.html", "not valid UTF-8")])
def test_a_name_no_artifact_can_hold_is_refused_at_build(tmp_path: Path, name: str, why: str) -> None:
    tree = output_with(tmp_path, lambda path: path.write_bytes(b"x"), os.fsdecode(os.fsencode(name)))
    with pytest.raises(BuildError, match=why):
        pack(tree, tmp_path / "artifacts", "1.0.0", "c")


@pytest.mark.parametrize("files", [
    {"...": "three dots"}, {"....": "four"}, {".hidden": "h"}, {"a/.../b.html": "dots folder"},
    {"back\\slash.html": "b"}, {"café/ünïcode ☃.html": "u"}, {"with space.html": "s"},
    {"n" * 101 + ".html": "a name longer than a tar header holds"}, {"/".join(["d"] * 60) + "/deep.html": "deep"},
    {"empty.txt": ""}, {"block.bin": "b" * 512}, {"chunk.bin": "c" * ((1 << 20) + 1)},
], ids=["three-dots", "four-dots", "hidden", "dots-folder", "backslash", "unicode", "space", "long-name",
        "deep", "empty", "one-block", "chunk-and-one"])
def test_unusual_but_valid_names_and_sizes_deploy_exactly(target: LocalTarget, tmp_path: Path,
                                                          files: dict[str, str]) -> None:
    release = target.deploy(build_artifact(tmp_path, "2.0.0", {**SITE, **files}))
    target.activate(release, "ci")
    for name, text in files.items():
        assert (target.current / name).read_text() == text


def test_an_empty_folder_and_an_executable_keep_their_shape(target: LocalTarget, tmp_path: Path) -> None:
    tree = output_with(tmp_path, lambda path: path.mkdir(), "empty-folder")
    (tree / "run.sh").write_text("#!/bin/sh\n")
    (tree / "run.sh").chmod(0o4775)  # setuid and group-write are not carried: 755 or 644 only
    target.activate(target.deploy(pack(tree, tmp_path / "artifacts", "2.0.0", "c")), "ci")
    assert (target.current / "empty-folder").is_dir()
    assert stat.S_IMODE((target.current / "run.sh").stat().st_mode) == 0o755


def test_two_names_for_one_file_in_the_output_are_two_files(target: LocalTarget, tmp_path: Path) -> None:
    tree = output_with(tmp_path, lambda path: path.write_text("shared"), "a.html")
    os.link(tree / "a.html", tree / "b.html")
    target.activate(target.deploy(pack(tree, tmp_path / "artifacts", "2.0.0", "c")), "ci")
    assert (target.current / "a.html").read_text() == (target.current / "b.html").read_text() == "shared"


# -- through doit: refused at build, before the release stage tags anything, with no traceback ----------

HOSTILE_BUILD = """import os, socket, stat, sys
kind, out = sys.argv[1], sys.argv[2]
path = os.path.join(out, "assets", "odd")
os.makedirs(os.path.dirname(path), exist_ok=True)
if kind == "fifo":
    os.mkfifo(path)
elif kind == "chardev":
    os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))
elif kind == "socket":
    socket.socket(socket.AF_UNIX).bind(path)
else:
    open(os.path.join(out, "..."), "w").write("dots")
"""


def user_repo(root: Path, kind: str) -> Path:
    """A user's repository whose build puts one hostile entry (`kind`) into its output."""
    build = 'command = "rm -rf out && mkdir -p out && cp -R site/. out/'
    assert build in CONFIG
    repo = make_repo(root, CONFIG.replace(build, f"{build} && python3 hostile.py {kind} out"))
    (repo / "hostile.py").write_text(HOSTILE_BUILD)
    git(repo, "add", "hostile.py")
    git(repo, "commit", "-qm", "build: a hostile step")
    return repo


@pytest.mark.parametrize(("kind", "what"), [("fifo", "a fifo"), ("chardev", "a character device"),
                                            ("socket", "a socket")])
def test_doit_refuses_a_special_file_before_anything_is_tagged(tmp_path: Path, kind: str, what: str) -> None:
    repo = user_repo(tmp_path / "repo", kind)
    result = run_doit(repo, "deploy:production")  # run_doit's timeout turns a hang into a failure
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{repo / 'out' / 'assets' / 'odd'}, which is {what}" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert git(repo, "tag", "--list") == ""
    assert not (tmp_path / "live").exists()


OUTPUT_REPLACED = {"a symlink to a folder outside": ('ln -s "$SECRETS" "$DEPLOY_OUTPUT"', "a symlink"),
                   "a fifo": ('mkfifo "$DEPLOY_OUTPUT"', "a fifo"), "a file": ('echo x > "$DEPLOY_OUTPUT"', "a file")}


@pytest.mark.parametrize("case", OUTPUT_REPLACED)
def test_doit_refuses_a_deploy_output_the_build_replaced_by_something_else(tmp_path: Path, case: str) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "id_rsa").write_text("PRIVATE KEY")
    replace_it, what = OUTPUT_REPLACED[case]
    build = 'command = "rm -rf out && mkdir -p out && cp -R site/. out/"'
    repo = make_repo(tmp_path / "repo", CONFIG.replace(build, f"command = 'rm -rf \"$DEPLOY_OUTPUT\" && {replace_it}'"))
    result = run_doit(repo, "deploy:production", env={"SECRETS": str(secrets)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"The build output $DEPLOY_OUTPUT is {what}" in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "tag", "--list") == ""
    assert not (tmp_path / "live").exists()


def test_doit_deploys_a_file_named_three_dots(tmp_path: Path) -> None:
    repo = user_repo(tmp_path / "repo", "dots")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "live" / "current" / "...").read_text() == "dots"


# -- crafted artifacts: refused before anything is unpacked ---------------------------------------------


def member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", **extra: object) -> tuple[tarfile.TarInfo,
                                                                                                   bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, len(data)
    for key, value in extra.items():
        setattr(info, key, value)
    return info, data


def tar_of(*members: tuple[tarfile.TarInfo, bytes], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return out.getvalue()


def manifest_for(raw: bytes) -> dict[str, dict[str, object]]:
    """The manifest pack would write for these tar bytes: every file member, in the tar's order."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for info in tar:
            if info.isfile():
                data = tar.extractfile(info).read()  # type: ignore[union-attr]
                found[info.name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": info.size, "mode": 0o644,
                                    "offset": info.offset_data, "blob": hashlib.sha1(  # noqa: S324
                                        b"blob %d\0" % info.size + data).hexdigest()}
    return found


def crafted(root: Path, raw: bytes, manifest: str | bytes | dict | None = None) -> Artifact:
    """An artifact in the store with these exact bytes (its digest matches them) and this manifest."""
    folder = root / ".deploylib" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(raw).hexdigest()
    (folder / f"{digest}.tar").write_bytes(raw)
    path = folder / f"{digest}.manifest.json"
    if isinstance(manifest, dict):
        manifest = json.dumps(manifest)
    if isinstance(manifest, str):
        manifest = manifest.encode()
    if manifest is not None:
        path.write_bytes(manifest)
    return Artifact(f"sha256:{digest}", folder / f"{digest}.tar", path, "6.6.6", "c")


def good_tar() -> bytes:
    return tar_of(member("css", tarfile.DIRTYPE, mode=0o755), member("css/a.css", data=b"body{}", mode=0o644),
                  member("index.html", data=b"<h1>two</h1>", mode=0o644))


def mode644(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    for info, _data in members:
        info.mode = 0o755 if info.isdir() else 0o644
    return tar_of(*members)


def truncated(raw: bytes, keep: int) -> bytes:
    return raw[:keep]


def flip(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]


def pax_member(path: str) -> bytes:
    return tar_of(member(path, data=b"x", mode=0o644), fmt=tarfile.PAX_FORMAT)


def with_pax_path(raw: bytes) -> bytes:
    """A pax header giving a harmless-looking member the path ../evil."""
    info, data = member("fine.html", data=b"x", mode=0o644)
    info.pax_headers = {"path": "../evil"}
    return tar_of((info, data), fmt=tarfile.PAX_FORMAT)


GOOD = good_tar()
GOOD_MANIFEST = manifest_for(GOOD)
FILE_THEN_FOLDER = mode644(member("a", data=b"x"), member("a", tarfile.DIRTYPE))
FOLDER_THEN_FILE = mode644(member("a", tarfile.DIRTYPE), member("a", data=b"x"))
FILE_THEN_CHILD = mode644(member("a", data=b"x"), member("a/b", data=b"y"))
CHILD_THEN_FILE = mode644(member("a/b", data=b"y"), member("a", data=b"x"))
TWICE = mode644(member("a", data=b"x"), member("a", data=b"y"))


def index_of_data(raw: bytes, name: str) -> int:
    return int(manifest_for(raw)[name]["offset"])  # type: ignore[call-overload]


CRAFTED: dict[str, tuple[bytes, object, str]] = {
    # (tar bytes, manifest (None: none; "auto": as pack would write it), what the refusal says)
    "random bytes": (os.urandom(3000), GOOD_MANIFEST, "no valid tar header at byte 0"),
    "empty file": (b"", GOOD_MANIFEST, "truncated"),
    "only an end marker": (bytes(10240), GOOD_MANIFEST, "does not hold css/a.css"),
    "gzip-compressed": (gzip.compress(GOOD), GOOD_MANIFEST, "not a well-formed artifact"),
    "truncated in a header": (truncated(GOOD, 700), GOOD_MANIFEST, "truncated"),
    "truncated in a file": (truncated(GOOD, 1030), GOOD_MANIFEST, "truncated"),
    "truncated before the end marker": (truncated(GOOD, 2560), GOOD_MANIFEST, "truncated"),
    "a damaged header checksum": (flip(GOOD, 0), GOOD_MANIFEST, "no valid tar header at byte 0"),
    "file then folder of one name": (FILE_THEN_FOLDER, "auto", "'a' is used twice"),
    "folder then file of one name": (FOLDER_THEN_FILE, "auto", "'a' is used twice"),
    "file then a file below it": (FILE_THEN_CHILD, "auto", "'a' is used twice"),
    "a file below, then the file": (CHILD_THEN_FILE, "auto", "used twice|not the manifest's next file"),
    "one file twice": (TWICE, "auto", "used twice|not the manifest's next file"),
    "a symlink": (tar_of(member("l", tarfile.SYMTYPE, linkname="/etc/passwd")), {}, "link or special file"),
    "a hard link": (tar_of(member("l", tarfile.LNKTYPE, linkname="index.html")), {}, "link or special file"),
    "a character device": (tar_of(member("c", tarfile.CHRTYPE, devmajor=1, devminor=5)), {}, "link or special"),
    "a block device": (tar_of(member("b", tarfile.BLKTYPE, devmajor=7)), {}, "link or special file"),
    "a fifo": (tar_of(member("f", tarfile.FIFOTYPE)), {}, "link or special file"),
    "a sparse file": (tar_of(member("s", tarfile.GNUTYPE_SPARSE)), {}, "link or special file"),
    "a contiguous file": (tar_of(member("s", tarfile.CONTTYPE)), {}, "link or special file"),
    "a parent path": (tar_of(member("../escape.html", data=b"x")), {}, "outside the release"),
    "an absolute path": (tar_of(member("/etc/cron.d/x", data=b"x")), {}, "outside the release"),
    "a path climbing out": (tar_of(member("a/../../x", data=b"x")), {}, "outside the release"),
    "a dot folder": (tar_of(member("./", tarfile.DIRTYPE)), {}, "outside the release"),
    "a long name climbing out": (tar_of(member("../" + "x" * 120, data=b"x")), {}, "outside the release"),
    "a pax path climbing out": (with_pax_path(b""), {}, "outside the release"),
    "a newline in a name": (tar_of(member("a\nb", data=b"x")), {}, "control character"),
    "a name that is not UTF-8": (tar_of(member("caf\udce9", data=b"x")), {}, "no valid tar header"),
    "no manifest": (GOOD, None, "manifest .* cannot be read"),
    "a manifest of random bytes": (GOOD, os.urandom(200), "manifest .* cannot be read"),
    "a manifest that is a list": (GOOD, "[1, 2]", "cannot be read|unusable"),
    "a manifest without a file": (GOOD, {"index.html": GOOD_MANIFEST["index.html"]}, "not the manifest's next file"),
    "a manifest with a file more": (GOOD, {**GOOD_MANIFEST, "z.html": GOOD_MANIFEST["index.html"]}, "does not hold"),
    "a manifest with a wrong size": (GOOD, {**GOOD_MANIFEST, "index.html": {**GOOD_MANIFEST["index.html"], "size": 3}},
                                     "not the manifest's next file"),
    "a manifest with a wrong offset": (GOOD, {**GOOD_MANIFEST, "index.html": {**GOOD_MANIFEST["index.html"],
                                                                              "offset": 512}},
                                       "not the manifest's next file"),
    "a manifest with a wrong hash": (GOOD, {**GOOD_MANIFEST, "index.html": {**GOOD_MANIFEST["index.html"],
                                                                            "sha256": "0" * 64}},
                                     "does not hold index.html as its manifest"),
    "a manifest with a bad size type": (GOOD, {**GOOD_MANIFEST, "index.html": {**GOOD_MANIFEST["index.html"],
                                                                               "size": "12"}}, "unusable entry"),
    "a manifest with a bad mode": (GOOD, {**GOOD_MANIFEST, "index.html": {**GOOD_MANIFEST["index.html"],
                                                                          "mode": 0o4777}}, "unusable entry"),
    "a manifest naming a path twice": (GOOD, '{{"css/a.css": {}, "index.html": {}, "index.html": {}}}'.format(
        json.dumps(GOOD_MANIFEST["css/a.css"]), *[json.dumps(GOOD_MANIFEST["index.html"])] * 2), "twice"),
    "a manifest of another artifact": (GOOD, manifest_for(tar_of(member("other.html", data=b"x", mode=0o644))),
                                       "not the manifest's next file"),
    "a manifest nested too deep": (GOOD, "[" * 100_000 + "]" * 100_000, "cannot be read .*too deep"),
    "a manifest entry nested too deep": (GOOD, "{\n" + '"index.html": ' + "[" * 100_000 + "]" * 100_000 + "\n}\n",
                                         "cannot be read .*too deep"),
    "a manifest cut short": (GOOD, "{\n" + json.dumps({"css/a.css": GOOD_MANIFEST["css/a.css"]})[1:-1] + ",\n",
                             "cannot be read"),
}


@pytest.mark.parametrize("case", CRAFTED)
def test_a_crafted_artifact_is_refused_before_anything_is_unpacked(target: LocalTarget, tmp_path: Path,
                                                                   case: str) -> None:
    raw, manifest, message = CRAFTED[case]
    artifact = crafted(tmp_path, raw, manifest_for(raw) if manifest == "auto" else manifest)  # type: ignore[arg-type]
    with pytest.raises(ArtifactError, match=message):
        target.deploy(artifact)
    assert releases_folder_holds_only_the_live_one(target)
    assert not (tmp_path / "escape.html").exists() and not (tmp_path / "evil").exists()


def test_a_tar_with_bytes_after_its_end_marker_deploys_what_its_manifest_lists(target: LocalTarget,
                                                                               tmp_path: Path) -> None:
    raw = GOOD + os.urandom(1024)
    target.activate(target.deploy(crafted(tmp_path, raw, GOOD_MANIFEST)), "ci")
    assert (target.current / "index.html").read_text() == "<h1>two</h1>"


@pytest.mark.parametrize("name", [".listing", ".checked"])
def test_a_publish_reads_past_a_cache_beside_the_artifact_replaced_by_a_fifo(tmp_path: Path, name: str) -> None:
    artifact = build_artifact(tmp_path, "2.0.0", SITE)
    beside = artifact.tar.with_suffix(name)
    beside.unlink()
    os.mkfifo(beside)  # reading it would wait for a writer forever
    with FileReader(artifact) as reader:
        assert reader.listing() == {git_listing_line(path, 0o644, str(entry["blob"]))
                                    for path, entry in load_manifest(artifact).items()}


@pytest.mark.parametrize("kind", ["fifo", "character device", "folder"])
def test_an_artifact_whose_tar_is_not_a_file_is_refused_without_reading_it(target: LocalTarget, tmp_path: Path,
                                                                          kind: str) -> None:
    artifact = build_artifact(tmp_path, "2.0.0", SITE)
    artifact.tar.unlink()
    make = {"fifo": fifo, "character device": char_device, "folder": lambda path: path.mkdir()}[kind]
    make(artifact.tar)  # a fifo would be waited on forever, /dev/zero read forever
    with pytest.raises(ArtifactError, match="cannot be read"):
        target.deploy(artifact)
    assert releases_folder_holds_only_the_live_one(target)


def test_a_corrupted_artifact_is_named_corrupt_before_its_shape_is_judged(target: LocalTarget,
                                                                          tmp_path: Path) -> None:
    artifact = build_artifact(tmp_path, "2.0.0", SITE)
    artifact.tar.write_bytes(truncated(artifact.tar.read_bytes(), 700))
    with pytest.raises(ArtifactError, match="is corrupt"):
        target.deploy(artifact)
    assert releases_folder_holds_only_the_live_one(target)


def test_a_manifest_naming_the_live_releases_bytes_for_a_changed_file_is_refused(target: LocalTarget,
                                                                                tmp_path: Path) -> None:
    artifact = build_artifact(tmp_path, "2.0.0", {**SITE, "index.html": "<h1>two</h1>"})  # same size as the live one
    manifest = json.loads(artifact.manifest.read_text())
    manifest["index.html"]["sha256"] = hashlib.sha256(SITE["index.html"].encode()).hexdigest()  # the live bytes
    artifact.manifest.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="index.html"):
        target.deploy(artifact)
    assert releases_folder_holds_only_the_live_one(target)


# -- a release whose files differ from its manifest is never made live ----------------------------------


def two_releases(target: LocalTarget, tmp_path: Path) -> Path:
    """1.0.0 (the fixture's) is the previous release, 2.0.0 live; returns the previous release's folder."""
    previous = target.live()
    target.activate(target.deploy(build_artifact(tmp_path, "2.0.0", {**SITE, "index.html": "<h1>two</h1>"})),
                    "ci")
    assert previous is not None
    return target.store.path(previous)


def append(path: Path) -> None:
    path.write_text(path.read_text() + "<script>evil()</script>")


def same_size(path: Path) -> None:
    path.write_text(path.read_text().upper())


def remove(path: Path) -> None:
    path.unlink()


def replace_by_symlink(path: Path) -> None:
    if path.is_dir():
        path.rename(path.with_name(f"{path.name}-moved"))
    else:
        path.unlink()
    path.symlink_to("/etc/passwd" if path.name == "index.html" else f"{path.name}-moved")


def make_executable(path: Path) -> None:
    path.chmod(0o755)


TAMPERING: dict[str, Callable[[Path], None]] = {
    "content appended": lambda release: append(release / "index.html"),
    "same size, other bytes": lambda release: same_size(release / "index.html"),
    "file removed": lambda release: remove(release / "css" / "site.css"),
    "file became a symlink": lambda release: replace_by_symlink(release / "index.html"),
    "mode changed": lambda release: make_executable(release / "index.html"),
    "set-user-ID bit added": lambda release: (release / "index.html").chmod(0o4644),
    "sticky bit added": lambda release: (release / "css" / "site.css").chmod(0o1644),
    "file added": lambda release: (release / "extra.js").write_text("x"),
    "folder became a symlink": lambda release: replace_by_symlink(release / "css"),
    "records removed": lambda release: remove(release.with_name(f"{release.name}.manifest.json")),
    "records garbled": lambda release: release.with_name(f"{release.name}.manifest.json").write_text("{\n[}"),
    "two files replaced by one named as their listing": lambda release: forge_two_as_one(release, "index.html",
                                                                                          "css/site.css"),
}


@pytest.mark.parametrize("find", ["on PATH", "missing"])  # missing: no fingerprint, checked file by file
@pytest.mark.parametrize("case", TAMPERING)
def test_rollback_refuses_a_release_changed_after_it_was_verified(target: LocalTarget, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, case: str,
                                                                  find: str) -> None:
    TAMPERING[case](two_releases(target, tmp_path))
    if find == "missing":
        monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    live = target.live()
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        target.activate(next(r for r in target.releases() if r.version == "1.0.0"), "rollback")
    assert target.live() == live


def test_an_intact_previous_release_is_activated_without_hashing_its_files(target: LocalTarget, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = two_releases(target, tmp_path)
    monkeypatch.setattr("deploylib.build.artifact._file_sha256", lambda path: pytest.fail(f"hashed {path}"))
    target.activate(target.store.read(folder.name), "rollback")  # type: ignore[arg-type]
    assert target.live().version == "1.0.0"


def test_an_intact_previous_release_is_known_by_its_fingerprint_alone(target: LocalTarget, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = two_releases(target, tmp_path)
    monkeypatch.setattr("deploylib.build.artifact.verify_tree", lambda *args: pytest.fail("checked file by file"))
    target.activate(target.store.read(folder.name), "rollback")  # type: ignore[arg-type]
    live = target.live()
    assert live is not None and live.version == "1.0.0"


def test_a_release_whose_records_lost_their_fingerprint_is_checked_file_by_file(target: LocalTarget,
                                                                                tmp_path: Path) -> None:
    folder = two_releases(target, tmp_path)
    os.removexattr(folder.with_name(f"{folder.name}.manifest.json"), "user.deploylib.fingerprint")  # as cp does
    target.activate(target.store.read(folder.name), "rollback")  # type: ignore[arg-type]
    live = target.live()
    assert live is not None and live.version == "1.0.0"


def test_doit_rollback_refuses_a_tampered_release_and_keeps_the_live_one(tmp_path: Path) -> None:
    repo = user_repo(tmp_path / "repo", "dots")
    assert run_doit(repo, "deploy:production").returncode == 0
    (repo / "site" / "index.html").write_text("<h1>Welcome</h1><p>back</p>")
    git(repo, "commit", "-qam", "fix: warmer welcome")
    assert run_doit(repo, "deploy:production").returncode == 0
    old = next(p for p in (tmp_path / "live" / "releases").iterdir() if p.name.startswith("0.1.0-") and p.is_dir())
    append(old / "index.html")
    result = run_doit(repo, "rollback", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "does not match its manifest (index.html differs from the artifact)" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert os.readlink(tmp_path / "live" / "current").startswith("releases/0.1.1-")


def test_a_second_environment_is_built_from_the_first_ones_verified_files(tmp_path: Path) -> None:
    test = LocalTarget(LocalOptions(path="test"), root=tmp_path, environment="test")
    production = LocalTarget(LocalOptions(path="production"), root=tmp_path, environment="production")
    artifact = build_artifact(tmp_path, "1.0.0", SITE)
    test.deploy(artifact)
    artifact.tar.write_bytes(b"")  # production never reads the tar: the verified copy on test is enough
    release = production.deploy(artifact)
    assert (production.store.path(release) / "index.html").stat().st_ino == \
        (test.store.path(release) / "index.html").stat().st_ino
    assert load_manifest(artifact)["index.html"]["size"] == 12


def test_a_changed_file_in_the_first_environment_is_not_copied_into_the_second(tmp_path: Path) -> None:
    test = LocalTarget(LocalOptions(path="test"), root=tmp_path, environment="test")
    production = LocalTarget(LocalOptions(path="production"), root=tmp_path, environment="production")
    artifact = build_artifact(tmp_path, "1.0.0", SITE)
    append(test.store.path(test.deploy(artifact)) / "index.html")
    release = production.deploy(artifact)
    assert (production.store.path(release) / "index.html").read_text() == "<h1>one</h1>"

