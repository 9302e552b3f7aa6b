"""Byte sizes: the one rule that reads them from configuration, and the one way they are printed."""

from __future__ import annotations

import pytest

from deploylib.sizes import format_size, parse_size, restate, size_problem


@pytest.mark.parametrize(("text", "size"), [
    ("2048", 2048), ("10 b", 10), ("10B", 10), ("0", 0),
    ("500 kB", 500_000), ("500 KB", 500_000), ("500kb", 500_000), ("500 Kb", 500_000),  # SI: powers of 1000
    ("2 MB", 2_000_000), ("2 GB", 2_000_000_000), ("1 TB", 10**12),
    ("500 KiB", 512_000), ("3kib", 3072), ("1.5 MiB", 1_572_864), ("1 GiB", 1024**3), ("1 TiB", 1024**4),
    (" 1.5 kB ", 1500), ("0.5 B", 0),  # fractions of a byte are dropped
])
def test_sizes_read_by_the_one_rule(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["5OOKB", "500 KBs", "KB", "-1 KB", "1,5 MB", "", "500 k", "500 Ki", "1e3",
                                  "500 PB", "1.5.0 MB", "five kB"])
def test_sizes_that_do_not_parse(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(("text", "problem"), [("", ""), ("500 kB", ""), ("5OOKB", 'is not a size such as '
                                                                                    '"500 kB", "1.5 MiB" or "2048"')])
def test_the_configuration_check(text: str, problem: str) -> None:
    assert size_problem(text) == problem


@pytest.mark.parametrize(("count", "shown"), [
    (0, "0 B"), (900, "900 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (500_000, "488.3 KiB"),
    (1_572_864, "1.5 MiB"), (1024**2 - 20, "1.0 MiB"), (3 * 1024**3, "3.0 GiB"), (5 * 1024**4, "5.0 TiB"),
    (2048 * 1024**4, "2048.0 TiB"),
])
def test_sizes_are_printed_in_iec_units(count: int, shown: str) -> None:
    assert format_size(count) == shown


@pytest.mark.parametrize(("text", "shown"), [("500 kB", "488.3 KiB (500 kB)"), ("1.5 MiB", "1.5 MiB"),
                                             ("2048", "2.0 KiB"), ("12 KiB", "12.0 KiB"), ("1 MB", "976.6 KiB (1 MB)")])
def test_a_configured_size_is_restated_in_iec_units_with_the_users_si_words(text: str, shown: str) -> None:
    assert restate(text) == shown
