"""JSON read from files deploylib does not fully control: whatever cannot be read is a ValueError."""

from __future__ import annotations

import pytest

from deploylib import jsontext


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a": ' * 100_000 + "1" + "}" * 100_000,
                                  b"[" * 5_000 + b"]" * 5_000, "{", "", "\udcff"],
                         ids=["deep array", "deep object", "deep bytes", "torn", "empty", "not UTF-8"])
def test_what_json_cannot_read_is_a_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        jsontext.loads(text)


def test_json_nested_a_few_hundred_deep_is_read() -> None:
    value = jsontext.loads("[" * 500 + "]" * 500)
    for _ in range(499):
        value = value[0]
    assert value == []


def test_json_is_read_as_json_loads_reads_it() -> None:
    assert jsontext.loads('{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
