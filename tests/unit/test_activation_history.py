"""A target's activation history: one JSON line per activation, oldest first, and the old formats (pure)."""

from __future__ import annotations

import json

import pytest

from deploylib.model import Release
from deploylib.targets.history import Activation, History, from_command_record, from_pages_records


def release(rid: str) -> Release:
    return Release(id=rid, version=rid.split("-")[0], digest=f"sha256:{rid}", commit="c0ffee")


def line(rid: str, by: str = "ci", time: str = "2026-01-01T00:00:00Z", **more: str) -> str:
    return json.dumps({"time": time, "id": rid, "version": rid.split("-")[0], "digest": f"sha256:{rid}", "by": by,
                       **more})


def test_the_line_of_an_activation_reads_back_as_that_activation() -> None:
    written = History.line(release("1.0.0-aa"), "alice", commit="abc123")
    assert written.endswith("}\n") and written.count("\n") == 1
    (found,) = History.parse([written]).activations
    assert (found.release_id, found.by, found.version, found.digest, found.commit) == (
        "1.0.0-aa", "alice", "1.0.0", "sha256:1.0.0-aa", "abc123")
    assert found.time.endswith("Z")


def test_a_line_without_a_commit_has_no_commit_key() -> None:
    assert "commit" not in json.loads(History.line(release("1.0.0-aa"), "alice"))


def test_the_order_of_lines_is_the_order_of_activations_even_when_timestamps_tie() -> None:
    history = History.parse([line("1.0.0-aa"), line("2.0.0-bb"), line("1.0.0-aa", by="bob")])
    ordered = history.ordered([release("2.0.0-bb"), release("1.0.0-aa"), release("3.0.0-cc")])
    assert [r.id for r in ordered] == ["3.0.0-cc", "2.0.0-bb", "1.0.0-aa"]  # never activated first
    assert ordered[-1].activated_by == "bob" and ordered[0].activated_at == ""


@pytest.mark.parametrize("bad", ['{"time": "2026-01-01T00:00:00Z", "id": "2.0', "not json", "42", '["id"]',
                                 '{"by": "ci"}', "", "\ufffd\ufffd"])
def test_a_line_that_does_not_parse_is_skipped(bad: str) -> None:
    history = History.parse([line("1.0.0-aa"), bad])
    assert [a.release_id for a in history.activations] == ["1.0.0-aa"]


def test_what_a_history_answers() -> None:
    history = History.parse([line("1.0.0-aa", commit="c1"), line("2.0.0-bb"), line("1.0.0-aa", commit="c2")])
    assert "1.0.0-aa" in history and "3.0.0-cc" not in history
    assert history.last().release_id == "1.0.0-aa" and history.latest("2.0.0-bb").by == "ci"
    assert history.latest("3.0.0-cc") is None and History().last() is None
    assert history.commits("1.0.0-aa") == {"c1", "c2"} and history.commits("2.0.0-bb") == set()


def test_a_command_targets_old_activations_json_is_read_oldest_first() -> None:
    text = json.dumps([{"id": "1.0.0-aa", "time": "t1", "by": "ci"}, {"id": "2.0.0-bb", "time": "t2", "by": "ci"},
                       {"id": "1.0.0-aa", "time": "t3", "by": "ops"}])
    assert [(a.release_id, a.time, a.by) for a in from_command_record(text)] == [
        ("1.0.0-aa", "t1", "ci"), ("2.0.0-bb", "t2", "ci"), ("1.0.0-aa", "t3", "ops")]


@pytest.mark.parametrize("text", ["", "{not json", '{"id": "1.0.0-aa"}', "null", '[1, "x", {"by": "ci"}]'])
def test_an_old_activations_json_that_is_not_an_array_of_activations_gives_none(text: str) -> None:
    assert from_command_record(text) == []


def test_pages_old_records_are_read_in_the_order_of_their_sequence_numbers() -> None:
    records = {
        "1.0.0-aa": {"version": "1.0.0", "digest": "sha256:aa", "source": "s", "commit": "k1", "tree": "t", "base": "",
                     "activations": [{"time": "t1", "by": "ci", "commit": "k1", "n": 1},
                                     {"time": "t3", "by": "ops", "commit": "k3", "n": 3}]},
        "2.0.0-bb": {"version": "2.0.0", "digest": "sha256:bb", "source": "s", "commit": "k2", "tree": "t", "base": "",
                     "activations": [{"time": "t2", "by": "ci", "commit": "k2", "n": 2}]},
        "3.0.0-cc": {"version": "3.0.0", "digest": "sha256:cc", "source": "s", "commit": "k4", "tree": "t", "base": ""},
    }
    found = from_pages_records(records)
    assert [(a.release_id, a.by, a.commit) for a in found] == [("1.0.0-aa", "ci", "k1"), ("2.0.0-bb", "ci", "k2"),
                                                               ("1.0.0-aa", "ops", "k3")]
    assert found[1] == Activation("2.0.0-bb", "t2", "ci", "2.0.0", "sha256:bb", "k2")


def test_old_activations_come_before_the_new_files_lines() -> None:
    history = History.parse([line("1.0.0-aa", by="new")], earlier=[Activation("2.0.0-bb", "t", "old"),
                                                                     Activation("1.0.0-aa", "t", "old")])
    assert [a.by for a in history.activations] == ["old", "old", "new"]
    assert [r.id for r in history.ordered([release("1.0.0-aa"), release("2.0.0-bb")])] == ["2.0.0-bb", "1.0.0-aa"]
