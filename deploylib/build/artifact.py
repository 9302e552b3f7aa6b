"""Reproducible artifacts: pack a build output, check a tar against its digest and manifest, unpack it
safely, verify a tree.

The tar holds regular files and folders only, in sorted order, with fixed mtimes, owners and
modes, so the same build output always gives the same bytes and the same sha256 digest. Its
manifest lists every file, one JSON line each in the same sorted order (the file as a whole is one
JSON object), so it is read and written as a stream: memory does not grow with the file count.
Each file is read once when packed, and hashed in that pass; a large file whose size and mtime match
the previous pack's record keeps its recorded hashes (git's index does the same, and trusts no
record as new as itself).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from json.encoder import encode_basestring_ascii as _json_string
from pathlib import Path
from typing import IO

from deploylib import jsontext
from deploylib.crash import crash_point
from deploylib.errors import ArtifactError, BuildError
from deploylib.model import Artifact
from deploylib.state.atomic import open_regular, open_regular_file, read_regular, replace_bytes, write_atomically
from deploylib.state.lock import process_alive
from deploylib.values import frozen

Manifest = dict[str, dict[str, object]]  # relative POSIX path -> {"sha256", "size", "mode", "offset", "blob"}

_CHUNK = 1 << 20
# tar's numbers (POSIX ustar, as GNU tar writes it), under tarfile's names; tarfile itself (with pwd and
# grp) is imported only where it builds or parses a header, so a run that packs nothing never loads it.
_BLOCK = 512  # tarfile.BLOCKSIZE
_RECORD = 20 * _BLOCK  # tarfile.RECORDSIZE: an archive is padded to whole records
_REGTYPE, _AREGTYPE, _DIRTYPE = b"0", b"\0", b"5"  # tarfile.REGTYPE, AREGTYPE, DIRTYPE
_HASHES = "pack-hashes.json"  # in the artifact store: the last pack's entries of large files, with mtimes
_REUSE_MIN = 1 << 16  # smaller files are hashed again: that costs less than reading their record
_RACY_NS = 2_000_000_000  # a file changed this close to a pack may have changed within its mtime's tick
_PACKING = ".pack-"  # + "<pid>-<random>.tar" (and .manifest, .hashes): files being written


@frozen(slots=True)
class Entry:
    """One file of a manifest. `offset` is where its bytes start in the tar and `blob` git's id for them
    (a publish to a branch reads only files the branch lacks); `mtime` (ns) is set in a release store's
    copy of the manifest: the file's mtime there, so an unchanged file is known without hashing it."""

    path: str  # relative POSIX path, UTF-8, no "." or ".." parts
    sha256: str  # 64 lower-case hex digits of the file's bytes
    size: int  # bytes
    mode: int  # 0o644, or 0o755 for a file its owner may execute
    offset: int = 0  # bytes from the start of the tar to the file's first byte
    blob: str = ""  # git's blob id (40 hex, sha1 of "blob <size>\0" + bytes); "" in old manifests
    mtime: int = 0  # nanoseconds since the epoch; 0 outside a release store's copy

    def line(self) -> str:
        """The entry as one line of a manifest (keys sorted, as json.dumps(sort_keys=True) would)."""
        mtime = f', "mtime": {self.mtime}' if self.mtime else ""
        return (f'{_json_string(self.path)}: {{"blob": "{self.blob}", "mode": {self.mode}{mtime}, "offset": '
                f'{self.offset}, "sha256": "{self.sha256}", "size": {self.size}}}')


def git_file_mode(mode: int) -> str:
    """The mode git records in a tree for a file of permission bits `mode`: 100755 when its owner may
    execute it, else 100644 (gitformat-index(5): git keeps no other permission bits)."""
    return "100755" if mode & 0o100 else "100644"


def git_listing_line(path: str, mode: int, blob: str) -> str:
    """The line `git ls-tree -r` prints for one of an artifact's files in a commit made from it: its git mode
    (`git_file_mode`), "blob", the blob id, a tab, the path."""
    return f"{git_file_mode(mode)} blob {blob}\t{path}"


def name_problem(name: str) -> str:
    """Why a relative file name cannot be in an artifact, or "" (plain string work: it runs per file).
    Refused: names leaving the release (absolute, `.`/`..` parts), control characters (newlines break
    line-based verification on hosts) and bytes that are not UTF-8 (a manifest is JSON text)."""
    if name.startswith("/") or any(part in ("", ".", "..") for part in name.rstrip("/").split("/")):
        return "would unpack outside the release directory"
    if not name.isprintable() and any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "has a control character in its name"
    try:
        name.encode()
    except UnicodeEncodeError:
        return "has a name that is not valid UTF-8"
    return ""


def _safe_member_path(name: str, where: str) -> str:
    problem = name_problem(name)
    if problem == "would unpack outside the release directory":
        raise ArtifactError(f"{where} contains the entry {name!r}, which would unpack outside the release "
                            "directory. Nothing was deployed; rebuild the artifact from a clean build output.")
    if problem:
        raise ArtifactError(f"{where} contains the entry {name!r}, which {problem}. Nothing was deployed; rename "
                            "it in the build and rebuild.")
    return name


# -- packing ---------------------------------------------------------------------------------------

_KINDS = {stat.S_IFIFO: "a fifo (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symlink"}


def _special(path: str, mode: int) -> BuildError:
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    if kind == "a symlink":
        return BuildError(f"The build output contains a symlink, {path}. Artifacts hold regular files only "
                          "so a release cannot point outside itself: copy the file instead.")
    return BuildError(f"The build output contains {path}, which is {kind}. Artifacts hold regular files and "
                      "folders only (it was not read); make the build write a regular file there, or delete it "
                      "before the build ends. Nothing was released.")


def scan_output(source: Path) -> list[tuple[str, str, bool]]:
    """(relative posix path, path, is a folder) of everything below `source`, sorted; anything but regular
    files and folders, or a name no artifact can hold, is refused without being opened. `source` itself
    must be a folder, not a link to one (it could point anywhere: /etc, a home folder). Folders are
    listed without a trailing "/". Raises BuildError (exit 1) naming the first such entry, or a folder that
    cannot be listed (no permission, a path longer than the system takes)."""
    with contextlib.suppress(FileNotFoundError):  # a missing folder: listing it below says so
        mode = os.lstat(source).st_mode
        if not stat.S_ISDIR(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "a file")
            raise BuildError(f"The build output {source} is {kind}, not a folder. An artifact is packed from a "
                             "folder's own files and folders (a link could point outside the build, to anything "
                             "on this machine), and nothing was read from it. Make the build write its files into "
                             "that folder itself; nothing was released.")
    found: list[tuple[str, str, bool]] = []
    for rel, item in _below(str(source)):
        if item.is_dir(follow_symlinks=False):
            found.append((rel, item.path, True))
        elif item.is_file(follow_symlinks=False):
            found.append((rel, item.path, False))
        else:
            raise _special(item.path, item.stat(follow_symlinks=False).st_mode)
        if problem := name_problem(rel):
            raise BuildError(f"The build output contains {item.path!r}, which {problem}. Rename it in "
                             "the build; nothing was released.")
    found.sort()
    return found


def _below(root: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(relative posix path, entry) of everything below the folder `root`, a folder before what it holds;
    links are not followed. Raises BuildError naming a folder that cannot be listed: the build's fault,
    not the state folder's."""
    pending = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        try:
            listing = os.scandir(folder)
        except OSError as err:
            raise BuildError(f"Cannot list {folder} in the build output: {err.strerror}. Nothing was read from "
                             "it and nothing was released; make the build leave a folder this user can read, by a "
                             "path the system takes (PATH_MAX), then run the command again.") from None
        with listing:
            for item in listing:
                if item.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{item.name}/", item.path))
                yield prefix + item.name, item


_TEMPLATE = (b"0000000\x00" * 2, b"00000000000\x00", b"ustar  \x00", bytes(16))
_FIXED_SUM = sum(b"".join(_TEMPLATE)) + 8 * 32  # every fixed field, the checksum field as spaces


def _header(name: str, mode: int, size: int, kind: bytes) -> bytes:
    """A GNU tar header as tarfile writes it for our fixed fields (owner 0, mtime 0), built directly:
    tarfile's own builder costs more than the rest of packing a small file."""
    raw = name.encode()
    if len(raw) > 100 or size >= 8 ** 11:  # long names and huge files: tarfile's GNU extensions
        import tarfile

        info = tarfile.TarInfo(name)
        info.type, info.mode, info.size, info.mtime = kind, mode, size, 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict")
    owners, mtime, magic, devices = _TEMPLATE
    mode_field, size_field = b"%07o\x00" % mode, b"%011o\x00" % size
    checksum = _FIXED_SUM + sum(raw) + sum(mode_field) + sum(size_field) + kind[0]
    return b"".join((raw, bytes(100 - len(raw)), mode_field, owners, size_field, mtime, b"%06o\x00 " % checksum,
                     kind, bytes(100), magic, bytes(64), devices, bytes(167)))


class _TarWriter:
    """A tar written in large writes and hashed as it is written (no second read for the digest)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.digest, self.offset = handle, hashlib.sha256(), 0
        self._pending = bytearray()

    def write(self, *parts: bytes) -> None:
        for data in parts:
            self._pending += data
            self.offset += len(data)
        if len(self._pending) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.digest.update(self._pending)
        self.handle.write(self._pending)
        self._pending.clear()

    def close(self) -> None:
        self.write(bytes(2 * _BLOCK))  # end of archive, then padding to tar's 10 KiB record, as tarfile does
        self.write(bytes(-self.offset % _RECORD))
        self.flush()


class _KnownHashes:
    """The previous pack's entries (with their files' mtimes), read in step with this pack's sorted walk.
    The file's own mtime is when that pack started: an entry is trusted only when its file is older."""

    def __init__(self, path: Path) -> None:
        try:
            self._trusted_before = path.stat().st_mtime_ns - _RACY_NS
        except OSError:
            self._trusted_before = 0
        self._entries = quietly(read_entries(path)) if self._trusted_before else iter(())
        self._current: Entry | None = None

    def get(self, rel: str, size: int, mtime: int) -> tuple[str, str] | None:
        """(sha256, blob) recorded for `rel` when its size and mtime are unchanged and old enough to trust."""
        while self._current is None or self._current.path < rel:
            self._current = next(self._entries, None)
            if self._current is None:
                return None
        old = self._current
        if old.path == rel and old.size == size and old.mtime == mtime and mtime < self._trusted_before:
            return old.sha256, old.blob
        return None


def quietly(entries: Iterator[Entry]) -> Iterator[Entry]:
    """Entries up to where they cannot be read (an ArtifactError ends the stream silently): for records
    that only save work."""
    with contextlib.suppress(ArtifactError):
        yield from entries


def stored(store: Path, digest: str, version: str, commit: str) -> Artifact:
    """The artifact with `digest` ("sha256:<hex>") in the artifact store `store`: `<hex>.tar` and
    `<hex>.manifest.json` (the one place these names are made; the files may be missing)."""
    hex_digest = digest.split(":", 1)[-1]
    return Artifact(digest=f"sha256:{hex_digest}", tar=store / f"{hex_digest}.tar",
                    manifest=store / f"{hex_digest}.manifest.json", version=version, commit=commit)


def pack(source: Path, store: Path, version: str, commit: str) -> Artifact:
    """Pack `source` into `store/<hex>.tar` with its manifest; identical trees give identical digests.
    Raises BuildError for anything in `source` an artifact cannot hold (links, fifos, devices, sockets,
    unusable names), before reading any file.

    `version` (SemVer 2.0) and `commit` (full sha) are recorded in the returned Artifact, not in the
    tar, so they do not change the digest. The tar is GNU format with mtime 0, owner 0, mode 0o644 for
    files and 0o755 for executables and folders, padded to tar's 10240-byte record. Written under a
    temporary name and renamed (POSIX rename(2)), so a killed pack leaves no half-written tar.
    Raises BuildError (exit 1) also when a file cannot be read or shrinks while packed, and OSError
    when the store cannot be written (e.g. a full disk)."""
    store.mkdir(parents=True, exist_ok=True)
    entries = scan_output(source)
    started = time.time_ns()
    known = _KnownHashes(store / _HASHES)
    _remove_stale_packs(store)
    import tempfile  # here only: a process that deploys an artifact packed earlier never loads it

    fd, tmp_name = tempfile.mkstemp(dir=store, prefix=f"{_PACKING}{os.getpid()}-", suffix=".tar")
    tmp = Path(tmp_name)
    manifest, hashes = ManifestWriter(Path(f"{tmp_name}.manifest")), ManifestWriter(Path(f"{tmp_name}.hashes"))
    files: set[str] = set()
    folders: dict[str, None] = {}  # as check_tar finds them, so that it need not read this tar again
    listing: list[str] = []  # the files as git lists them (`listed`), so that a publish need not parse the manifest
    try:
        with os.fdopen(fd, "wb") as raw:
            tar = _TarWriter(raw)
            for rel, path, is_dir in entries:
                _no_clash(rel, not is_dir, files, folders)
                if is_dir:
                    tar.write(_header(rel + "/", 0o755, 0, _DIRTYPE))
                    continue
                entry, mtime = _pack_file(tar, rel, path, known)
                manifest.add(entry)
                listing.append(git_listing_line(entry.path, entry.mode, entry.blob))
                if entry.size >= _REUSE_MIN:
                    hashes.add(replace(entry, mtime=mtime))
            tar.close()
        artifact = stored(store, f"sha256:{tar.digest.hexdigest()}", version, commit)
        manifest.commit(artifact.manifest)
        crash_point("build:packed")
        os.utime(tmp, ns=(started - _RACY_NS, started - _RACY_NS))  # dated back: any later write is told apart
        os.replace(tmp, artifact.tar)
        hashes.commit(store / _HASHES)
        os.utime(store / _HASHES, ns=(started, started))  # see _KnownHashes
    finally:
        manifest.discard()
        hashes.discard()
        tmp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the tar just written is well formed: no need to read it back
        listed_bytes = "\0".join(listing).encode()
        replace_bytes(_listing_path(artifact), listed_bytes)
        _remember_checked(artifact, list(folders), _file_sha256(str(artifact.manifest)), os.stat(artifact.tar),
                          hashlib.sha256(listed_bytes).hexdigest())
    return artifact


def _pack_file(tar: _TarWriter, rel: str, path: str, known: _KnownHashes) -> tuple[Entry, int]:
    """Append one file to the tar; its manifest entry and its mtime (ns, for the next pack's record).
    Opened without following links and without blocking, and checked again once open: a file swapped
    for a fifo or device after the scan is refused instead of hanging the build."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise BuildError(f"Cannot read {path} from the build output: {err.strerror}. Nothing was released.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _special(path, info.st_mode)
        size, mode = info.st_size, 0o755 if info.st_mode & stat.S_IXUSR else 0o644
        header = _header(rel, mode, size, _REGTYPE)
        offset = tar.offset + len(header)
        hashes = known.get(rel, size, info.st_mtime_ns) if size >= _REUSE_MIN else None
        sha256, blob = (None, None) if hashes else (hashlib.sha256(), hashlib.sha1(b"blob %d\0" % size))  # noqa: S324
        left = size
        while True:
            chunk = os.read(fd, min(left, _CHUNK)) if left else b""
            left -= len(chunk)
            if sha256 and blob:
                sha256.update(chunk)
                blob.update(chunk)
            if not left:
                tar.write(header, chunk, bytes(-size % _BLOCK))
                break
            if not chunk:
                raise BuildError(f"{path} shrank while it was packed: is another build writing the output? "
                                 "Nothing was released; run the build again.")
            tar.write(header, chunk)
            header = b""
    finally:
        os.close(fd)
    if sha256 and blob:
        hashes = sha256.hexdigest(), blob.hexdigest()
    assert hashes is not None
    return Entry(rel, hashes[0], size, mode, offset, hashes[1]), info.st_mtime_ns


# -- manifests -------------------------------------------------------------------------------------


def unusable(problem: str, done: str = "Nothing was deployed") -> ArtifactError:
    """The error for an artifact or manifest that cannot be used: `problem` (a sentence without its full
    stop), what was therefore not done, and the one way to rebuild (a stale `build` task would reuse it)."""
    return ArtifactError(f"{problem}. {done}; rebuild it: doit forget build && doit build.")


def load_manifest(artifact: Artifact) -> Manifest:
    """The whole manifest as a dict (for consumers that look files up by name). Raises ArtifactError
    (exit 1) when it cannot be read or is not a JSON object of objects; entries are not checked further."""
    return _manifest_of(artifact)[0]


def _manifest_of(artifact: Artifact) -> tuple[Manifest, str]:
    """load_manifest's dict, and the sha256 (hex) of the bytes it was read from."""
    try:
        text = read_regular(artifact.manifest)
        manifest: Manifest = jsontext.loads(text)
        if not isinstance(manifest, dict) or not all(isinstance(entry, dict) for entry in manifest.values()):
            raise ValueError("it is not a JSON object of entries")
    except (OSError, ValueError) as err:
        raise unusable(f"The manifest {artifact.manifest} of {artifact.release_id} cannot be read ({err})") from None
    return manifest, hashlib.sha256(text).hexdigest()


def _entry(path: object, fields: object, where: Path) -> Entry:
    try:
        assert isinstance(path, str) and isinstance(fields, dict)
        entry = Entry(path, fields["sha256"], fields["size"], fields["mode"], fields.get("offset", 0),
                      fields.get("blob", ""), fields.get("mtime", 0))
        assert isinstance(entry.sha256, str) and len(entry.sha256) == 64 and _hex(entry.sha256)
        assert all(type(n) is int and n >= 0 for n in (entry.size, entry.offset, entry.mtime))
        assert entry.mode in (0o644, 0o755) and isinstance(entry.blob, str) and len(entry.blob) in (0, 40)
        assert _hex(entry.blob)
    except (AssertionError, KeyError, TypeError):
        raise unusable(f"The manifest {where} has an unusable entry for {path!r}: {json.dumps(fields)[:200]}") \
            from None
    return entry


def _hex(text: str) -> bool:
    return not text.strip("0123456789abcdef")


def read_entries(path: Path) -> Iterator[Entry]:
    """A manifest's entries in path order, read line by line (a manifest written in another layout is
    read whole). Raises ArtifactError for an unreadable file, a bad entry, or paths out of order or
    given twice."""
    last = None
    for item in _manifest_items(path):
        entry = item if isinstance(item, Entry) else _entry(*item, path)
        if last is not None and entry.path <= last:
            how = "twice" if entry.path == last else "out of order"
            raise unusable(f"The manifest {path} lists {entry.path!r} {how}")
        last = entry.path
        yield entry


# A manifest line as ManifestWriter writes it. Compiled where it is read (re keeps it compiled from then on), so a
# process that reads no manifest line by line, e.g. a publish of a checked artifact, does not pay for it.
_LINE = (r'("(?:[^"\\]|\\.)*"): \{"blob": "([0-9a-f]{40}|)", "mode": (420|493)(?:, "mtime": (\d+))?, '
         r'"offset": (\d+), "sha256": "([0-9a-f]{64})", "size": (\d+)\},?\n')


def _manifest_items(path: Path) -> Iterator[tuple[object, object] | Entry]:
    """Entries as written by ManifestWriter (matched, already valid), else (path, fields) pairs to check."""
    try:
        with open(open_regular(path), encoding="utf-8") as handle:
            written = re.compile(_LINE)
            if handle.readline() == "{\n":
                for line in handle:
                    if line == "}\n":
                        return
                    if found := written.fullmatch(line):
                        name, blob, mode, mtime, offset, sha256, size = found.groups()
                        yield Entry(json.loads(name) if "\\" in name else name[1:-1], sha256, int(size),
                                    int(mode), int(offset), blob, int(mtime or 0))
                        continue
                    item = jsontext.loads("{" + line.rstrip("\n").rstrip(",") + "}")
                    if len(item) != 1:
                        break
                    yield from item.items()
                else:
                    raise ValueError("it ends before its closing brace")
            handle.seek(0)
            whole = jsontext.loads(handle.read(), object_pairs_hook=_refuse_twice)
            if not isinstance(whole, dict):
                raise ValueError("it is not a JSON object")
            yield from sorted(whole.items())
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise unusable(f"The manifest {path} cannot be read ({err})") from None


def _refuse_twice(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("it lists a path twice")
    return found


def _remove_stale_packs(store: Path) -> None:
    """Delete what packing processes that were killed left (`.pack-<pid>-*.tar` and its `.manifest` and
    `.hashes`; older `.pack-*` names carry no pid); a live process's files are left alone."""
    for leftover in store.glob(f"{_PACKING}*"):
        pid = leftover.name[len(_PACKING):].partition("-")[0]
        if not (pid.isdigit() and process_alive(int(pid))):
            leftover.unlink(missing_ok=True)


class ManifestWriter:
    """Write entries one line at a time into the file `temp`, renamed into place by `commit`. Entries must
    be added in path order (readers refuse any other). Opening `temp` raises OSError."""

    def __init__(self, temp: Path) -> None:
        self._temp = temp
        self._handle = temp.open("w")
        self.restart()

    def restart(self) -> None:
        """Forget what was added so far."""
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write("{")
        self._separator = "\n"

    def add(self, entry: Entry) -> None:
        """Append one entry's line."""
        self._handle.write(self._separator + entry.line())
        self._separator = ",\n"

    def commit(self, path: Path) -> None:
        """Close the JSON object and rename the file to `path` (atomic within a filesystem, rename(2))."""
        self._handle.write("\n}\n")
        self._handle.close()
        os.replace(self._temp, path)

    def discard(self) -> None:
        """Remove the temporary file unless it was committed (harmless after commit)."""
        with contextlib.suppress(OSError):  # on a full disk, flushing what is thrown away fails: remove it anyway
            self._handle.close()
        self._temp.unlink(missing_ok=True)


# -- checking a tar --------------------------------------------------------------------------------


def _compare_digest(artifact: Artifact, actual: str) -> None:
    if actual != artifact.digest:
        raise unusable(f"The artifact {artifact.tar} is corrupt: its sha256 is {actual}, but it was built as "
                       f"{artifact.digest}")


class _Malformed(Exception):
    """The tar is not a well-formed artifact; reported once its digest is known (corruption first)."""


class _Blocks:
    """Sequential reads of a tar, every byte hashed once as it is read."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.digest = handle, hashlib.sha256()
        self._buf, self._pos, self._base = b"", 0, 0

    @property
    def offset(self) -> int:
        return self._base + self._pos

    def _fill(self, wanted: int) -> None:
        while len(self._buf) - self._pos < wanted:
            chunk = self.handle.read(_CHUNK)
            if not chunk:
                raise _Malformed(f"it is truncated at byte {self._base + len(self._buf)}")
            self.digest.update(chunk)
            self._base += self._pos
            self._buf, self._pos = self._buf[self._pos:] + chunk, 0

    def take(self, size: int) -> bytes:
        self._fill(size)
        data = self._buf[self._pos:self._pos + size]
        self._pos += size
        return data

    def skip(self, size: int) -> None:
        buffered = len(self._buf) - self._pos
        if size <= buffered:
            self._pos += size
            return
        self._base, self._buf, self._pos, size = self._base + len(self._buf), b"", 0, size - buffered
        while size >= _CHUNK:
            chunk = self.handle.read(_CHUNK)
            if not chunk:
                raise _Malformed(f"it is truncated at byte {self._base}")
            self.digest.update(chunk)
            self._base, size = self._base + len(chunk), size - len(chunk)
        self._fill(size)
        self._pos = size

    def feed(self, size: int, *into: hashlib._Hash) -> None:
        """Read past the next `size` bytes, each also fed to every hash of `into`."""
        while size:
            piece = self.take(min(size, _CHUNK))
            for digest in into:
                digest.update(piece)
            size -= len(piece)

    def drain(self) -> str:
        while chunk := self.handle.read(_CHUNK):
            self.digest.update(chunk)
        return "sha256:" + self.digest.hexdigest()


def _number(field: bytes) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # GNU base-256
        return int.from_bytes(field[1:], "big", signed=field[:1] == b"\xff")
    text = field.split(b"\0", 1)[0].strip()
    return int(text or b"0", 8)


def _pax(data: bytes) -> dict[str, str]:
    """A pax extended header's records (`<length> <key>=<value>\\n`)."""
    found, at = {}, 0
    while at < len(data) and data[at:at + 1] != b"\0":
        length = int(data[at:data.index(b" ", at)])
        key, _, value = data[data.index(b" ", at) + 1:at + length - 1].partition(b"=")
        found[key.decode()] = value.decode()
        at += length
    return found


def check_tar(artifact: Artifact, manifest_sha256: str = "") -> list[str]:
    """Read the tar once: its digest, and every entry against the manifest (the same files, in the same
    order, at the same offsets, each with the bytes its sha256 and git blob id name, regular files and
    folders only, no name used twice, nothing escaping).
    Returns its folders (relative paths, without "/", in tar order). Raises ArtifactError (exit 1) before
    anything is unpacked; a tar that is not well formed is first checked against its digest, so
    corruption is named as such.

    A tar that passed (or that pack wrote) is remembered beside it (`<artifact>.checked`, see `_stamp`):
    when its manifest is that one and the tar is unchanged since, or still hashes to its digest, the same
    bytes were checked already and are not read again. `manifest_sha256`: the hash (hex) of the manifest
    bytes a caller already read and parsed, for that look; read from the file when not given."""
    # What is stamped is what was there before it was read (the manifest's hash, the tar's stat): a change
    # made while it is read is then told apart next time.
    stamp = _stamp(artifact, manifest_sha256) if manifest_sha256 else None
    if stamp is None or not stamp[1]:  # what the paths below check and stamp is the manifest on disk now
        try:
            manifest_sha256 = _file_sha256(str(artifact.manifest))
        except OSError:
            manifest_sha256 = ""  # the walk names the problem
        stamp = _stamp(artifact, manifest_sha256) if manifest_sha256 else None
    if stamp is not None:
        folders, unchanged, listing_sha256 = stamp
        if unchanged:
            return folders
        with contextlib.suppress(OSError), open_regular_file(artifact.tar) as handle:
            info = os.fstat(handle.fileno())
            if "sha256:" + _sha256(handle) == artifact.digest:  # e.g. copied: its new stat is recorded
                _remember_checked(artifact, folders, manifest_sha256, info, listing_sha256)
                return folders
    try:
        with open_regular_file(artifact.tar) as handle:
            info = os.fstat(handle.fileno())
            blocks = _Blocks(handle)
            try:
                folders = _walk(blocks, artifact)
            except _Malformed as err:
                _compare_digest(artifact, blocks.drain())
                raise unusable(f"{artifact.tar} is not a well-formed artifact: {err}") from None
    except OSError as err:
        raise unusable(f"The artifact {artifact.tar} cannot be read ({err.strerror})") from None
    if manifest_sha256:
        _remember_checked(artifact, folders, manifest_sha256, info)
    return folders


def _stamp(artifact: Artifact, manifest_sha256: str) -> tuple[list[str], bool, str] | None:
    """What `_remember_checked` recorded beside the tar, if it recorded it for this manifest (whose bytes
    hash to `manifest_sha256`, hex) and the artifact's digest: the tar's folders, whether the tar is
    unchanged since (its size, mtime, ctime and inode are the ones recorded), and the sha256 (hex) of the
    listing pack wrote ("" when there is none). None otherwise."""
    try:
        found = jsontext.loads(read_regular(artifact.tar.with_suffix(".checked")))
        folders, listing_sha256 = found["folders"], found.get("listing") or ""
        if found["digest"] != artifact.digest or \
                found["manifest"] != manifest_sha256 or \
                not all(type(f) is str for f in folders) or type(listing_sha256) is not str:
            return None
        return list(folders), found.get("tar") == _signature(os.stat(artifact.tar)), listing_sha256
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _signature(info: os.stat_result) -> list[int]:
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _remember_checked(artifact: Artifact, folders: list[str], manifest_sha256: str, info: os.stat_result,
                      listing_sha256: str = "") -> None:
    """Record beside the tar that it matches its manifest and its digest: the manifest's sha256 (hex), the
    digest, the tar's folders, the sha256 (hex) of the listing pack wrote from that manifest (`listed`; ""
    for none), and the tar's stat `info` (`_signature`) when that tells a later write apart;
    the hash and the stat are taken before the files are read, so a write while they are read is not
    stamped. Any write sets the tar's mtime to the time of writing, so the stat is trusted only for a tar
    last written at least `_RACY_NS` before now (git's rule for its index, "racily clean" entries: a write
    within the same clock tick keeps the mtime): pack dates its tar back that far, a tar written just now is
    recorded without it."""
    settled = info.st_mtime_ns <= time.time_ns() - _RACY_NS
    with contextlib.suppress(OSError):
        write_atomically(artifact.tar.with_suffix(".checked"),
                         json.dumps({"digest": artifact.digest, "manifest": manifest_sha256, "folders": folders,
                                     "listing": listing_sha256, "tar": _signature(info) if settled else None}))


def _listing_path(artifact: Artifact) -> Path:
    return artifact.tar.with_suffix(".listing")


def listed(artifact: Artifact, manifest_sha256: str) -> set[str] | None:
    """The artifact's files as `git ls-tree -r -z` lists them in a commit made from it (`git_listing_line`
    each), from the listing pack wrote beside the tar (`<artifact>.listing`), when the artifact's stamp
    vouches for it: the same digest, this manifest (its bytes hash to `manifest_sha256`, hex), the listing's
    own sha256. None otherwise (e.g. an artifact packed by an older deploylib): then read the manifest."""
    stamp = _stamp(artifact, manifest_sha256)
    if stamp is None or not stamp[2]:
        return None
    try:
        data = read_regular(_listing_path(artifact))
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != stamp[2]:
        return None
    lines = set(data.decode().split("\0"))
    lines.discard("")
    return lines


def _walk(blocks: _Blocks, artifact: Artifact) -> list[str]:
    where = str(artifact.tar)
    expected: Iterator[Entry] | None = None  # opened at the first file: a bad entry is named before it
    files: set[str] = set()
    folders: dict[str, None] = {}
    long_name: str | None = None
    pax: dict[str, str] = {}
    while True:
        at = blocks.offset
        header = blocks.take(_BLOCK)
        if header == bytes(_BLOCK):
            break
        try:
            if _number(header[148:156]) != sum(header[:148]) + 256 + sum(header[156:]):
                raise ValueError
            size, mode, kind = _number(header[124:136]), _number(header[100:108]), header[156:157]
            name = header[:100].split(b"\0", 1)[0].decode()
            if header[257:263] == b"ustar\0" and header[345:500].strip(b"\0"):
                name = header[345:500].split(b"\0", 1)[0].decode() + "/" + name
        except (ValueError, UnicodeDecodeError):
            raise _Malformed(f"there is no valid tar header at byte {at}") from None
        size = int(pax.get("size", size))
        if kind in (b"L", b"x"):
            data = blocks.take(size)
            blocks.skip(-size % _BLOCK)
            try:
                if kind == b"L":
                    long_name = data.split(b"\0", 1)[0].decode()
                else:
                    pax = _pax(data)
            except (ValueError, UnicodeDecodeError):
                raise _Malformed(f"the extended header at byte {at} is unreadable") from None
            continue
        name = long_name or pax.get("path", name)
        long_name, pax = None, {}
        _safe_member_path(name, where)
        if kind == _DIRTYPE:
            _no_clash(name.rstrip("/"), False, files, folders)
            blocks.skip(size + -size % _BLOCK)
            continue
        if kind not in (_REGTYPE, _AREGTYPE):
            raise ArtifactError(f"{where} contains {name!r}, which is a link or special file. "
                                "Artifacts hold regular files only; nothing was deployed.")
        _no_clash(name, True, files, folders)
        if expected is None:
            expected = read_entries(artifact.manifest)
        entry = next(expected, None)
        if entry is None or (entry.path, entry.size, entry.mode, entry.offset) != (name, size, mode & 0o777,
                                                                                    blocks.offset):
            raise _Malformed(f"its entry {name!r} ({size} bytes, mode {mode & 0o777:o}, at byte {blocks.offset}) is "
                             f"not the manifest's next file ({_describe(entry)})")
        # Its bytes, against both ids the manifest gives for them: a consumer may use either instead of reading
        # the file (unpack links a file of the same sha256 from an earlier release, Pages reuses a blob).
        sha256, blob = hashlib.sha256(), hashlib.sha1(b"blob %d\0" % size)  # noqa: S324 - git's id, not security
        blocks.feed(size, sha256, blob)
        if sha256.hexdigest() != entry.sha256 or entry.blob not in ("", blob.hexdigest()):
            raise _Malformed(f"it does not hold {name} as its manifest says (sha256 {entry.sha256}, git blob "
                             f"{entry.blob or 'not given'}): the manifest does not belong to it")
        blocks.skip(-size % _BLOCK)
    left = next(expected or read_entries(artifact.manifest), None)
    _compare_digest(artifact, blocks.drain())
    if left is not None:
        raise unusable(f"{where} does not hold {left.path}, which its manifest {artifact.manifest} lists: the "
                       "manifest does not belong to it")
    return list(folders)


def _describe(entry: Entry | None) -> str:
    return "none left" if entry is None else f"{entry.path!r}, {entry.size} bytes, mode {entry.mode:o}"


def _no_clash(name: str, is_file: bool, files: set[str], folders: dict[str, None]) -> None:
    """A name must be used once, as a file or as a folder (either order), and no file may stand where a
    folder is. Folders implied by a file's path count as folders."""
    parts = name.split("/")
    parents = ["/".join(parts[:n]) for n in range(1, len(parts))]
    clash = next((p for p in parents if p in files), None)
    if clash is None and (name in files or (is_file and name in folders)):
        clash = name
    if clash is not None:
        raise _Malformed(f"{clash!r} is used twice, as a file and as a folder or as two files")
    folders.update(dict.fromkeys(parents))
    if is_file:
        files.add(name)
    else:
        folders[name] = None


# -- unpacking -------------------------------------------------------------------------------------


def _aligned(entries: Iterable[Entry], earlier: Iterable[Entry]) -> Iterator[tuple[Entry, Entry | None]]:
    """Each entry with the earlier manifest's entry of the same path, both in path order."""
    others = iter(earlier)
    other = next(others, None)
    for entry in entries:
        while other is not None and other.path < entry.path:
            other = next(others, None)
        yield entry, other if other is not None and other.path == entry.path else None


def unchanged(path: str, entry: Entry) -> bool:
    """Whether the file at `path` is still as its store entry records it (size, mtime in ns, mode, and a
    regular file, not followed through a link): one lstat(2), no hashing. False when it is gone."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_size == entry.size and info.st_mtime_ns == entry.mtime
            and stat.S_IMODE(info.st_mode) == entry.mode)


def unpack(artifact: Artifact, dest: Path, like: Path | None = None, like_entries: Iterable[Entry] = (),
           record: Callable[[Entry], None] = lambda entry: None) -> None:
    """Check the tar (see check_tar), then unpack it into `dest` (which must not exist). A file the
    earlier release in `like` holds with the same content (per its store entries `like_entries`) and
    that is unchanged there is hard-linked from it; every other file is read at its offset and
    hashed as it is written. `record` receives each file's entry with its mtime in `dest` (ns), in path
    order. Raises ArtifactError (exit 1) for a tar that fails `check_tar` (before `dest` is made) or
    whose bytes do not match the manifest while unpacking (`dest` is then left partly written: the
    caller removes it); FileExistsError when `dest` exists; OSError when it cannot be written."""
    folders = check_tar(artifact)
    dest.mkdir(parents=True)
    base, earlier = str(dest), str(like)
    for folder in folders:
        os.makedirs(f"{base}/{folder}", exist_ok=True)
    with open_regular_file(artifact.tar) as tar:
        for entry, old in _aligned(read_entries(artifact.manifest), like_entries if like else ()):
            target = f"{base}/{entry.path}"
            if old is not None and (old.sha256, old.mode) == (entry.sha256, entry.mode):
                source = f"{earlier}/{entry.path}"
                if unchanged(source, old):
                    with contextlib.suppress(OSError):  # on another filesystem: write it instead
                        _link(source, target)
                        record(Entry(entry.path, entry.sha256, entry.size, entry.mode, entry.offset, entry.blob,
                                     old.mtime))
                        continue
            mtime = _write(tar, entry, target, artifact)
            record(Entry(entry.path, entry.sha256, entry.size, entry.mode, entry.offset, entry.blob, mtime))



class Unexpected(ArtifactError):
    """A tree being updated in place holds something its records do not explain in a way `update` does not
    repair (e.g. a file where a folder must be): the caller unpacks afresh instead."""


def update(artifact: Artifact, dest: Path, there: Iterable[Entry],
           record: Callable[[Entry], None] = lambda entry: None) -> None:
    """Turn `dest`, an unpacked release whose store entries are `there`, into the artifact's tree in place
    (see `unpack` for the checks): a file recorded with the same content and mode and unchanged since (size,
    mtime in ns, mode: one lstat) stays as it is; every other file is removed, then written from the tar and
    hashed (never written through: its inode may be another store's hard link); whatever the artifact does
    not hold is removed (links and special files first, so nothing is written through them), so the tree
    holds the artifact's files and folders only. `record` receives each file's entry with its mtime (ns),
    in path order. Costs no link or folder per unchanged file, as `unpack` from an earlier release does.
    Raises ArtifactError as `unpack` does (`dest` partly updated: the caller removes it), its subclass
    Unexpected when `dest` holds something in the way of a write (a folder where a file goes, or the
    reverse: the caller removes it and unpacks afresh), OSError when it cannot be written."""
    folders = check_tar(artifact)
    base = str(dest)
    present = []
    for name, item in _below(base):
        if item.is_dir(follow_symlinks=False) or item.is_file(follow_symlinks=False):
            present.append((name, item.path))
        else:
            os.unlink(item.path)  # a link or a special file: never a release's
    files: set[str] = set()
    try:
        for folder in folders:
            os.makedirs(f"{base}/{folder}", exist_ok=True)
        with open_regular_file(artifact.tar) as tar:
            for entry, old in _aligned(read_entries(artifact.manifest), there):
                files.add(entry.path)
                target = f"{base}/{entry.path}"
                if old is not None and (old.sha256, old.mode) == (entry.sha256, entry.mode) \
                        and unchanged(target, old):
                    mtime = old.mtime
                else:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(target)
                    mtime = _write(tar, entry, target, artifact)
                record(Entry(entry.path, entry.sha256, entry.size, entry.mode, entry.offset, entry.blob, mtime))
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as err:
        raise Unexpected(f"{err.filename}: {err.strerror}") from None
    _prune(present, files, folders)


def _prune(present: list[tuple[str, str]], files: set[str], folders: list[str]) -> None:
    """Remove each of `present` ((relative path, path), a folder before what it holds) that is neither one of
    `files` nor a folder of the artifact (one of `folders`, or one holding a file)."""
    import shutil  # here only: a process that publishes to a branch never prunes a tree

    kept = set(folders)
    for name in files:
        parent = name.rpartition("/")[0]
        while parent and parent not in kept:
            kept.add(parent)
            parent = parent.rpartition("/")[0]
    for name, path in present:
        if name in files or name in kept or not os.path.lexists(path):  # gone: inside a folder removed before it
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)

def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.link(source, target)


def _write(tar: IO[bytes], entry: Entry, target: str, artifact: Artifact) -> int:
    """Copy one file's bytes from the tar, checking them against the manifest; returns its mtime (ns)."""
    try:
        out = open(target, "wb")  # noqa: SIM115 - closed below; the folder usually exists already
    except FileNotFoundError:  # a tar without folder entries
        os.makedirs(os.path.dirname(target), exist_ok=True)
        out = open(target, "wb")  # noqa: SIM115
    digest = hashlib.sha256()
    with out:
        tar.seek(entry.offset)
        left = entry.size
        while left:
            chunk = tar.read(min(left, _CHUNK))
            if not chunk:
                break
            left -= len(chunk)
            digest.update(chunk)
            out.write(chunk)
        os.fchmod(out.fileno(), entry.mode)
        out.flush()
        mtime = os.fstat(out.fileno()).st_mtime_ns
    if left or digest.hexdigest() != entry.sha256:
        raise unusable(f"{artifact.tar} does not hold {entry.path} as its manifest {artifact.manifest} says: the tar "
                       "changed while it was unpacked, or the manifest does not belong to it", done="Nothing was "
                       "switched")
    return mtime


# -- verifying a tree ------------------------------------------------------------------------------


def _files(root: str) -> dict[str, os.DirEntry[str]]:
    """Everything below `root` that is not a folder, by relative path."""
    return {rel: item for rel, item in _below(root) if not item.is_dir(follow_symlinks=False)}


def verify_tree(root: Path, manifest: Manifest | Iterable[Entry]) -> list[str]:
    """Differences between the files under `root` and the manifest: missing, changed and extra files.
    An entry with an mtime (a release store's) whose file still has that size, mtime and mode is taken
    as unchanged; every other file is hashed. Returns one phrase per difference ("a.css is missing",
    "unexpected file x"), [] when the tree matches; folders are not compared, and a symlink in place of a
    file is "not a regular file".
    Raises ArtifactError for an unusable manifest entry, OSError when `root` cannot be listed or read."""
    entries = (_entry(path, fields, root) for path, fields in sorted(manifest.items())) \
        if isinstance(manifest, dict) else manifest
    found = _files(str(root))
    problems = []
    for entry in entries:
        item = found.pop(entry.path, None)
        if item is None:
            problems.append(f"{entry.path} is missing")
            continue
        info = item.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            problems.append(f"{entry.path} is not a regular file")
        elif entry.mtime and (info.st_size, info.st_mtime_ns) == (entry.size, entry.mtime):
            if stat.S_IMODE(info.st_mode) != entry.mode:
                problems.append(f"{entry.path} has mode {stat.S_IMODE(info.st_mode):o}, not {entry.mode:o}")
        elif info.st_size != entry.size or _file_sha256(item.path) != entry.sha256:
            problems.append(f"{entry.path} differs from the artifact")
        elif entry.mtime and stat.S_IMODE(info.st_mode) != entry.mode:
            problems.append(f"{entry.path} has mode {stat.S_IMODE(info.st_mode):o}, not {entry.mode:o}")
    problems.extend(f"unexpected file {rel}" for rel in sorted(found))
    return problems


def _file_sha256(path: str) -> str:
    """The sha256 (hex) of the regular file `path`; OSError for anything else (a fifo would be waited on)."""
    with open_regular_file(Path(path)) as handle:
        return _sha256(handle)


def _sha256(handle: IO[bytes]) -> str:
    """The sha256 (hex) of what is left to read from `handle`."""
    digest = hashlib.sha256()
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


# -- random access (a consumer that needs only some files' bytes) ------------------------------------


def _regular_file_header(block: bytes, size: int) -> bool:
    """Whether a tar header block is well formed and names a regular file of `size` bytes."""
    import tarfile  # only for a header pack did not write

    try:
        header = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return header.isfile() and header.size == size


# Finding an entry's line scans the manifest's text (about 0.2 ms in a 5,000-file one); past this many entries,
# parsing the whole manifest once (about 5 ms there) costs less.
_LINE_LOOKUPS = 16


class FileReader:
    """Random access to an artifact's files through its manifest: for a consumer that needs only some files'
    bytes (the rest it knows by their ids, e.g. git blobs a branch already holds). Use as a context
    manager. The tar is read only where a file is asked for, and that file checked against its manifest
    entry (`read`); before that, the artifact as a whole is checked by check_tar (its paths safe, its bytes
    the manifest's), which reads nothing when the tar and this very manifest are the ones pack wrote or it
    checked, unchanged since. The manifest is parsed whole only when asked for whole (`manifest`): with the
    listing pack wrote (`listing`), an entry is read from its own line. The constructor raises ArtifactError
    (exit 1) for an unreadable manifest or a tar that fails check_tar."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact
        try:
            raw = read_regular(artifact.manifest)
            self._text = raw.decode()
        except (OSError, ValueError) as err:
            raise unusable(f"The manifest {artifact.manifest} of {artifact.release_id} cannot be read "
                           f"({err})") from None
        self._sha256 = hashlib.sha256(raw).hexdigest()
        self._parsed: Manifest | None = None
        self._by_line = False  # the manifest is one as pack writes it, an entry per line (its listing says so)
        self._found = 0  # entries found by their line so far
        check_tar(artifact, self._sha256)

    def __enter__(self) -> FileReader:
        self._tar = open_regular_file(self.artifact.tar)
        return self

    def __exit__(self, *exc: object) -> None:
        self._tar.close()

    @property
    def manifest(self) -> Manifest:
        """Every entry, by path. Raises ArtifactError (exit 1) for a manifest that is not a JSON object of
        objects, or that has no file offsets (written by an older deploylib)."""
        if self._parsed is None:
            try:
                parsed: Manifest = jsontext.loads(self._text)
                if not isinstance(parsed, dict) or not all(isinstance(entry, dict) for entry in parsed.values()):
                    raise ValueError("it is not a JSON object of entries")
            except ValueError as err:
                raise unusable(f"The manifest {self.artifact.manifest} of {self.artifact.release_id} cannot be read "
                               f"({err})") from None
            if any("offset" not in entry for entry in parsed.values()):
                raise self._older()
            self._parsed = parsed
        return self._parsed

    def listing(self) -> set[str]:
        """The files as `git ls-tree -r -z` lists them in a commit made from the artifact (`git_listing_line`
        each): the listing pack wrote when the artifact's stamp vouches for it, else made from the manifest."""
        found = listed(self.artifact, self._sha256)
        if found is not None:
            self._by_line = True
            return found
        return {git_listing_line(path, int(entry["mode"]), str(entry["blob"]))  # type: ignore[call-overload]
                for path, entry in self.manifest.items()}

    def entry(self, path: str) -> dict[str, object]:
        """`path`'s manifest entry. Raises KeyError for a path the manifest does not list, ArtifactError
        (exit 1) for one without an offset (written by an older deploylib)."""
        if self._parsed is None and self._by_line and self._found < _LINE_LOOKUPS:
            self._found += 1
            key = f"\n{_json_string(path)}: "  # the start of its line, as ManifestWriter wrote it
            start = self._text.find(key)
            if start < 0:  # pack wrote every entry on a line of its own
                raise KeyError(path)
            start += len(key)
            with contextlib.suppress(ValueError):
                entry = jsontext.loads(self._text[start:self._text.find("\n", start)].rstrip(","))
                if isinstance(entry, dict):
                    if "offset" not in entry:
                        raise self._older()
                    return entry
        return self.manifest[path]

    def has(self, path: str) -> bool:
        """Whether the manifest lists `path` (found as `entry` finds it)."""
        try:
            self.entry(path)
        except KeyError:
            return False
        return True

    def _older(self) -> ArtifactError:
        return unusable(f"{self.artifact.release_id} was built by an older deploylib: its manifest has no file "
                        "offsets")

    def read(self, path: str) -> bytes:
        """A file's bytes, checked against its manifest entry. Raises KeyError for a path the manifest does
        not list, ArtifactError (exit 1) when the tar holds other bytes there."""
        entry = self.entry(path)
        offset, size = int(entry["offset"]), int(entry["size"])  # type: ignore[call-overload]
        self._tar.seek(offset - _BLOCK)  # the entry's header, just before its bytes
        block, mode = self._tar.read(_BLOCK), entry["mode"]
        packed = _header(path, mode, size, _REGTYPE)[-_BLOCK:] if type(mode) is int else b""
        if block != packed and not _regular_file_header(block, size):  # not byte for byte as pack writes it
            raise unusable(f"{self.artifact.tar} holds no regular file where its manifest puts {path!r} (a link or "
                           "special file, or a manifest that does not belong to it): artifacts hold regular files "
                           "only")
        data = self._tar.read(size)
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise unusable(f"{self.artifact.tar} does not hold {path} where its manifest says: the manifest "
                           f"{self.artifact.manifest} does not belong to it")
        return data
