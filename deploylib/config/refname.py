"""Git's rules for reference names, in pure Python: the configuration refuses a branch, tag or
remote name that git would refuse, before any git command runs.

The rules are `git check-ref-format`'s (git-check-ref-format(1); refs.c `check_refname_format`,
without --allow-onelevel, --refspec-pattern or --normalize). Each function returns a problem in
words ("" when the name is fine), as configuration checks do.
"""

from __future__ import annotations

# Characters git refuses anywhere in a reference name (besides ASCII control characters).
_FORBIDDEN = frozenset(" ~^:?*[\\")


def refname_problem(ref: str) -> str:
    """Why `ref` (a full name such as "refs/heads/main") is not a valid git reference name, or "".
    Applies git-check-ref-format(1) rules 1-10 as git itself checks them. Pure; never raises."""
    if ref == "@":
        return 'is "@", which git reads as HEAD'
    bad = next((c for c in ref if ord(c) < 0x20 or ord(c) == 0x7F or c in _FORBIDDEN), None)
    if bad is not None:
        return f"contains {bad!r}, which git does not allow in a name"
    for sequence in ("..", "@{"):
        if sequence in ref:
            return f'contains "{sequence}", which git does not allow in a name'
    components = ref.split("/")
    if any(not part for part in components):
        return 'has an empty part (it starts or ends with "/", or contains "//")'
    if any(part.startswith(".") for part in components):
        return 'has a part starting with "."'
    if any(part.endswith(".lock") for part in components):
        return 'has a part ending with ".lock"'
    if ref.endswith("."):
        return 'ends with "."'
    if len(components) < 2:
        return 'has no "/" (git needs at least two parts in a full reference name)'
    return ""


def branch_problem(name: str) -> str:
    """Why `name` cannot be a branch (`git check-ref-format --branch`), or "".

    Stricter than git in one case: "@" alone, which git accepts as a name but reads as HEAD.
    """
    if problem := _argument_problem(name):
        return problem
    if name in ("HEAD", "@"):
        return f'is "{name}", which git reads as the current commit, not a branch'
    return refname_problem(f"refs/heads/{name}")


def remote_problem(name: str) -> str:
    """Why `name` cannot be a git remote's name (git's `valid_remote_name`: refs/remotes/NAME/x), or ""."""
    return _argument_problem(name) or refname_problem(f"refs/remotes/{name}/x")


def _argument_problem(name: str) -> str:
    """Why a name cannot be handed to git as an argument: empty, or read as an option."""
    if not name:
        return "is empty"
    return 'starts with "-", which git would read as an option' if name.startswith("-") else ""
