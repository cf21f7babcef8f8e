"""The one-pass generic test key_and_row_rules (tests/generic/), rendered from its file the way
dbt renders it and run on small DuckDB tables: it must pass clean data and catch each rule it
stands in for (unique, not_null, expression_is_true)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import jinja2
import pytest

GENERIC = Path(__file__).resolve().parents[2] / "tests" / "generic" / "test_key_and_row_rules.sql"


def rendered(**arguments) -> str:
    body = re.search(
        r"\{% test key_and_row_rules\([^)]*\) %\}(.*)\{% endtest %\}",
        GENERIC.read_text(),
        re.DOTALL,
    ).group(1)
    return jinja2.Template(body).render(model="lines", **arguments)


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


def failures(connection) -> list[tuple]:
    return connection.execute(rendered(**RULES)).fetchall()


def test_clean_lines_pass(lines):
    assert failures(lines) == []


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
def test_each_rule_fails_on_its_offending_key(lines, bad_row, failing_key):
    lines.execute(f"insert into lines values {bad_row}")
    assert [row[0] for row in failures(lines)] == [failing_key]


def test_key_only_checks_presence_and_uniqueness(lines):
    lines.execute("insert into lines values ('d', null, null, false)")
    assert lines.execute(rendered(key="line_key")).fetchall() == []
    lines.execute("insert into lines values ('d', null, null, false)")
    assert lines.execute(rendered(key="line_key")).fetchall() == [("d", 2)]


def test_compound_key_needs_every_part_and_unique_combinations(lines):
    compound = ["line_key", "quantity"]
    lines.execute("insert into lines values ('a', 'x', 2, false)")  # same line_key, new quantity
    assert lines.execute(rendered(key=compound)).fetchall() == []
    lines.execute("insert into lines values ('a', 'x', 2, false)")
    assert lines.execute(rendered(key=compound)).fetchall() == [("a", 2, 2)]
    lines.execute("insert into lines values ('h', 'x', null, false)")
    assert lines.execute(rendered(key=compound)).fetchall() == [("a", 2, 2), ("h", None, 1)]
