"""Record every statement dbt-snowflake sends, in order, without a Snowflake account.

dbt runs in this process with fakesnow standing in for the connector (fakesnow.patch()) and a
profile whose account is not 'fakesnow', so the project's emulator shims stay out of the way and
dbt-snowflake's own macros (and the project's overrides) generate exactly what they would send
to an account. Every statement the cursor receives is recorded. Those fakesnow cannot run
(grants and revokes, roles, policies, creating or altering views with policies, comments,
database swaps) are answered with Snowflake's success row without being run; introspection and
the SELECTs dbt uses to learn a query's columns run in fakesnow, against empty tables shaped like
the project's models. Named statement_capture, not dbt_*: dbt imports dbt_* modules it finds on
sys.path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import fakesnow
import snowflake.connector
from fakesnow.cursor import FakeSnowflakeCursor

ACCOUNT = "capture"
USER = "ci"

PROFILE = """\
customer_analytics:
  target: capture
  outputs:
    capture:
      type: snowflake
      account: {account}
      user: {user}
      password: ci
      role: DATA_ENGINEER
      warehouse: TRANSFORMING
      database: {database}
      schema: core
      threads: 1
"""

# Statements fakesnow cannot parse or run: recorded and answered, never executed.
ANSWERED_NOT_RUN = re.compile(
    r"^\s*("
    r"grant\s|revoke\s|create\s+role\s|"
    r"(create|alter)\s+(row\s+access|masking)\s+policy\s|"
    r"create\s+or\s+replace\s+(secure\s+)?view\s|"
    r"comment\s+on\s|alter\s+view\s|alter\s+table\s+\S+\s+set\s+comment\s|"
    r"alter\s+database\s|create\s+(or\s+replace\s+)?database\s.*\sclone\s|"
    r"show\s+grants\s"
    r")",
    re.IGNORECASE | re.DOTALL,
)
SUCCESS = "select 'Statement executed successfully.' as status"
SHOW_DATABASES = re.compile(r"^\s*show\s+databases\s+like\s+'([^']*)'", re.IGNORECASE)
DBT_QUERY_COMMENT = re.compile(r"/\*\s*\{\"app\": \"dbt\".*?\*/", re.DOTALL)


def without_query_comment(statement: str) -> str:
    """The statement without the query comment (/* {"app": "dbt", ...} */) dbt-snowflake adds
    to every statement, nor a final semicolon."""
    return DBT_QUERY_COMMENT.sub("", statement).strip().rstrip(";").strip()


@dataclass
class Recorder:
    """What dbt sent, in order, and which Snowflake databases `show databases` reports."""

    statements: list[str] = field(default_factory=list)
    databases: set[str] = field(default_factory=set)

    def answer(self, statement: str) -> str:
        """The SQL fakesnow runs in place of a statement (the statement itself if it can)."""
        bare = without_query_comment(statement)
        if ANSWERED_NOT_RUN.match(bare):
            return SUCCESS
        shown = SHOW_DATABASES.match(bare)
        if shown:
            exists = shown.group(1).upper() in {name.upper() for name in self.databases}
            return f"select '{shown.group(1)}' as \"name\" where {str(exists).lower()}"
        return statement

    def take(self) -> list[str]:
        """The statements recorded since the last take, without dbt's query comments."""
        taken, self.statements = self.statements, []
        return [without_query_comment(statement) for statement in taken]


@contextmanager
def recording_fakesnow(recorder: Recorder) -> Iterator[None]:
    """fakesnow in place of the connector, every cursor's statements recorded and answered."""
    original: Callable = FakeSnowflakeCursor.execute

    def execute(self, command, params=None, *args, **kwargs):
        recorder.statements.append(command)
        return original(self, recorder.answer(command), params, *args, **kwargs)

    FakeSnowflakeCursor.execute = execute
    try:
        with fakesnow.patch():
            yield
    finally:
        FakeSnowflakeCursor.execute = original


def write_profile(profiles_dir: Path, database: str) -> Path:
    profiles_dir.mkdir(parents=True, exist_ok=True)
    (profiles_dir / "profiles.yml").write_text(
        PROFILE.format(account=ACCOUNT, user=USER, database=database)
    )
    return profiles_dir


def run_sql(database: str, statements: list[str]) -> None:
    """Run setup statements in the (patched) emulator, outside the recording's interest."""
    connection = snowflake.connector.connect(
        account=ACCOUNT, user=USER, password="ci", database=database
    )
    with connection:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
