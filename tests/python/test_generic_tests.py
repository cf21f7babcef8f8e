"""The generic key tests key_and_row_rules and unique_combination (tests/generic/), rendered from
their files the way dbt renders them and run on small DuckDB tables: they must pass clean data
and catch each rule they stand in for (unique, not_null, expression_is_true), also when every
key shares one checksum (the exact recount after the checksum pass)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import jinja2
import pytest

GENERIC = Path(__file__).resolve().parents[2] / "tests" / "generic"


def warehouse_checksum(columns: list[str]) -> str:
    """The project's row_checksum macro on DuckDB."""
    return f"hash({', '.join(columns)})"


def colliding_checksum(columns: list[str]) -> str:
    """Every key shares one checksum: only the exact recount can tell them apart."""
    return "cast(42 as ubigint)"


@pytest.fixture(params=[warehouse_checksum, colliding_checksum])
def checksum(request):
    return request.param


def generic_test(name: str, checksum, **arguments) -> str:
    body = re.search(
        rf"\{{% test {name}\([^)]*\) %\}}(.*)\{{% endtest %\}}",
        (GENERIC / f"test_{name}.sql").read_text(),
        re.DOTALL,
    ).group(1)
    return jinja2.Template(body).render(model="lines", row_checksum=checksum, **arguments)


@pytest.fixture
def lines():
    connection = duckdb.connect()
    connection.execute(
        "create table lines as select * from (values"
        " ('a', 'x', 1, false), ('b', 'y', 2, false), ('c', 'z', -1, true))"
        " as t(line_key, code, quantity, is_cancellation)"
    )
    yield connection
    connection.close()


RULES = {
    "key": "line_key",
    "not_null": ["code"],
    "expressions": ["(quantity < 0) = is_cancellation", "quantity <> 0"],
}


def failures(connection, checksum, **arguments) -> list[tuple]:
    sql = generic_test("key_and_row_rules", checksum, **(arguments or RULES))
    return sorted(connection.execute(sql).fetchall(), key=str)


def test_clean_lines_pass(lines, checksum):
    assert failures(lines, checksum) == []


@pytest.mark.parametrize(
    ("bad_row", "failing_key"),
    [
        ("('a', 'x', 3, false)", "a"),  # a duplicate key
        ("(null, 'x', 3, false)", None),  # a missing key
        ("('d', null, 3, false)", "d"),  # a missing not_null column
        ("('e', 'x', 3, true)", "e"),  # an expression that is false
        ("('f', 'x', null, false)", "f"),  # an expression that is NULL
        ("('g', 'x', 0, false)", "g"),  # the second expression
    ],
)
def test_each_rule_fails_on_its_offending_key(lines, checksum, bad_row, failing_key):
    lines.execute(f"insert into lines values {bad_row}")
    assert [row[0] for row in failures(lines, checksum)] == [failing_key]


def test_a_failure_counts_every_row_of_its_key(lines, checksum):
    lines.execute("insert into lines values ('a', null, 0, true)")
    # key a: two rows, one missing its code, one breaking each expression.
    assert failures(lines, checksum) == [("a", 2, 1, 1, 1)]


def test_key_only_checks_presence_and_uniqueness(lines, checksum):
    lines.execute("insert into lines values ('d', null, null, false)")
    assert failures(lines, checksum, key="line_key") == []
    lines.execute("insert into lines values ('d', null, null, false)")
    assert failures(lines, checksum, key="line_key") == [("d", 2)]


def test_compound_key_needs_every_part_and_unique_combinations(lines, checksum):
    compound = ["line_key", "quantity"]
    lines.execute("insert into lines values ('a', 'x', 2, false)")  # same line_key, new quantity
    assert failures(lines, checksum, key=compound) == []
    lines.execute("insert into lines values ('a', 'x', 2, false)")
    assert failures(lines, checksum, key=compound) == [("a", 2, 2)]
    lines.execute("insert into lines values ('h', 'x', null, false)")
    assert failures(lines, checksum, key=compound) == [("a", 2, 2), ("h", None, 1)]


def test_unique_combination_reports_each_repeated_combination(lines, checksum):
    def repeated(columns):
        sql = generic_test("unique_combination", checksum, columns=columns)
        return sorted(lines.execute(sql).fetchall(), key=str)

    assert repeated(["line_key"]) == []
    lines.execute("insert into lines values ('a', 'y', 1, false), ('b', null, 5, false)")
    assert repeated(["line_key"]) == [("a", 2), ("b", 2)]
    assert repeated(["line_key", "code"]) == []
    lines.execute("insert into lines values ('b', null, 6, true)")
    # NULL parts are equal to each other, as in a GROUP BY.
    assert repeated(["line_key", "code"]) == [("b", None, 2)]
