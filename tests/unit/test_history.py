"""Release membership and the canonical commit order, on hand-made commit graphs (no git)."""

from __future__ import annotations

from deploylib.release.versioning.history import Entry, members, newest_first

# a - b - c(v1.0.0) - e - m(merge of d) - f(v1.1.0)
#      \_ d ______________/                      d was made before v1.0.0, merged after it
GRAPH = [Entry("f", ("m",), 60, "fix: footer"), Entry("m", ("e", "d"), 50, "Merge branch 'search'"),
         Entry("e", ("c",), 40, "feat: e"), Entry("c", ("b",), 30, "feat: about page"),
         Entry("d", ("b",), 20, "feat: search box"), Entry("b", ("a",), 10, "feat: first page"),
         Entry("a", (), 0, "chore: start")]


def shas(entries: list[Entry]) -> str:
    return "".join(e.sha for e in entries)


def test_a_release_holds_what_its_tag_reaches_and_no_lower_release_does() -> None:
    found = members(GRAPH, [("1.0.0", "c"), ("1.1.0", "f")])
    assert (shas(found["1.0.0"]), shas(found["1.1.0"])) == ("cba", "fmed")


def test_the_order_puts_children_first_then_the_latest_time_then_the_smaller_sha() -> None:
    same_second = [Entry("x", (), 5, ""), Entry("y", ("x",), 5, ""), Entry("b", (), 5, ""), Entry("a", (), 5, "")]
    assert shas(newest_first(same_second)) == "abyx"
    skewed = [Entry("child", ("parent",), 1, ""), Entry("parent", (), 9, "")]  # a clock running late
    assert shas(newest_first(skewed)) == "childparent"


def test_the_order_of_a_release_is_the_same_read_alone_or_picked_out_of_all_history() -> None:
    alone = [e for e in GRAPH if e.sha in "fmed"]
    assert shas(newest_first(reversed(alone))) == shas(members(GRAPH, [("1.0.0", "c"), ("1.1.0", "f")])["1.1.0"])


def test_one_line_of_history_is_listed_down_its_parents_whatever_the_clocks_say() -> None:
    line = [Entry("c", ("b",), 1, ""), Entry("b", ("a",), 9, ""), Entry("a", (), 5, "")]
    assert shas(newest_first(reversed(line))) == "cba"


def test_two_lines_are_interleaved_by_time() -> None:
    assert shas(newest_first([Entry("x", (), 1, ""), Entry("y", ("x",), 3, ""), Entry("p", (), 2, "")])) == "ypx"

