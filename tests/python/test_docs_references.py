"""The README and docs/ cannot drift from the project: every repository path they name exists,
every `make` target is in the Makefile, every model, seed or view name is a node of the built
project, every `dbt` command and flag is one dbt accepts, every relative link and anchor resolves,
and the README stays a front door (at most 200 lines)."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import click
import pytest
import yaml
from conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200

# What a build, a benchmark or a publish writes: named in the docs, never in the repository.
OUTPUTS = (
    "build/", "target/", "logs/", "exports/", "principals/", "data/generated", "bench/out/",
    "assets/plots/", "warehouse.duckdb", ".venv", "dbt_packages/",
)  # fmt: skip
TOP_LEVEL = (
    "models/", "python_models/", "macros/", "seeds/", "tests/", "bench/", "docs/", "src/",
    "analyses/", "data/raw", ".ci/", "assets/", ".github/", "tools/",
)  # fmt: skip
ROOT_FILES = (
    "Makefile", "pyproject.toml", "dbt_project.yml", "profiles.yml", "profiles.yml.example",
    "selectors.yml", ".sqlfluff", "package.json", "package-lock.json",
)  # fmt: skip
# A file named without its folder must be a file of the repository, unless a run writes it.
BARE_FILE = re.compile(
    r"(?<![\w/.<-])([\w-]+(?:\.[\w-]+)*\.(?:py|sql|yml|yaml|md|cjs|json|toml|csv))(?![\w(/-])"
)
# Files the docs name that are not this repository's, and why.
OTHER_FILES = {
    "analysis.py": "an analyst's own script, in a sample error message of publishing.md",
    "cdnow_customers_summary_with_transactions.csv": "inside the lifetimes wheel (CDNOW)",
}
WRITTEN_FILES = {
    "manifest.json", "run_results.json", "catalog.json", "report.json", "report.md",
    "semantic_manifest.json", "index.html",
}  # fmt: skip
# Names in the docs that are not nodes of this project, and why they may be named.
NOT_NODES = {
    ("docs/history.md", "assignments_snapshot"): "a retired snapshot table, in the upgrade note",
    ("docs/history.md", "client_dim_snapshot"): "a retired snapshot table, in the upgrade note",
    ("docs/history.md", "fct_transactions"): "transactions_fact's old name, in the upgrade note",
    ("docs/snowflake.md", "query_history"): "Snowflake's own view of query costs",
    ("docs/snowflake.md", "crm_stage"): "the Snowflake stage the raw files are uploaded to",
}
PLACEHOLDER = re.compile(r"[<>*{}$…]|\.\.\.")
CODE_SPAN = re.compile(r"`([^`]+)`")
FENCE = re.compile(r"(?ms)^[ \t]*```[^\n]*\n(.*?)^[ \t]*```")
LINK = re.compile(r"\]\(([^)\s]+)\)")
QUALIFIED = re.compile(r"^(?:raw|stage|core|analytics)\.([a-z][a-z0-9_]*)$")
NODE_NAME = re.compile(
    r"^(?:(?:raw|stage|core|analytics)\.)?"
    r"((?:stg|base|int|fct|v)_[a-z0-9_]+|[a-z0-9_]+_(?:dim|fact|history|snapshot))$"
)


def code_texts(markdown: str) -> list[str]:
    """Inline code spans and fenced blocks: where paths, commands and names are spelt."""
    fenced = FENCE.findall(markdown)
    prose = FENCE.sub("", markdown)
    return fenced + CODE_SPAN.findall(prose)


def repo_paths(markdown: str) -> set[str]:
    found = set()
    for text in code_texts(markdown):
        for token in re.split(r"[\s,;:()=\"'\[\]]+", text):
            token = token.rstrip(".").lstrip("./") if token.startswith("./") else token.rstrip(".")
            if not token or PLACEHOLDER.search(token) or token.startswith(OUTPUTS):
                continue
            if token.startswith(TOP_LEVEL) or token in ROOT_FILES:
                found.add(token)
    return found


def file_names(markdown: str) -> set[str]:
    """Files named without a folder (`test_publish.py`, `_crm__sources.yml`); not method calls
    such as `connection.sql(`."""
    return (
        {
            match.group(1)
            for text in code_texts(markdown)
            for match in BARE_FILE.finditer(text)
            if not PLACEHOLDER.search(match.group(1))
        }
        - WRITTEN_FILES
        - OTHER_FILES.keys()
    )


def make_targets(markdown: str) -> set[str]:
    return {
        target
        for text in code_texts(markdown)
        for target in re.findall(r"(?:^|[\s;&|(])make ([a-z][\w-]*)", text)
    }


def node_names(markdown: str) -> set[str]:
    """Names that look like a model's (prefix, suffix or schema), and every name in the first
    column of a table whose header is `model`, `relation`, `view` or `seed`."""
    prose = FENCE.sub("", markdown)
    names = set()
    for text in CODE_SPAN.findall(prose):
        match = NODE_NAME.match(text.strip()) or QUALIFIED.match(text.strip())
        if match:
            names.add(match.group(1))
    for table in re.findall(r"(?m)^\|[^\n]*\|\n\|[ :|-]+\|\n(?:\|[^\n]*\|\n?)+", prose):
        header, _, *rows = table.splitlines()
        if re.match(r"\|\s*(model|relation|view|seed)\b", header):
            for row in rows:
                first = row.split("|")[1]
                names |= {
                    n for n in CODE_SPAN.findall(first) if re.fullmatch(r"[a-z][a-z0-9_]*", n)
                }
    return names


def dbt_commands(markdown: str) -> list[list[str]]:
    """Every `dbt …` invocation, as its words up to the end of the command."""
    commands = []
    for text in code_texts(markdown):
        for line in text.splitlines():
            line = line.split("#", 1)[0]
            for match in re.finditer(r"(?:^|[\s;&|(`])dbt ([a-z][a-z-]*(?: [^;&|`)]*)?)", line):
                commands.append(match.group(1).split())
    return commands


@cache
def dbt_cli() -> click.Group:
    from dbt.cli.main import cli

    return cli


def check_dbt_command(words: list[str]) -> str | None:
    """None when dbt accepts the subcommand and every flag in `words`, else what is wrong."""
    command: click.Command = dbt_cli()
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        if name not in command.commands:
            return f"no dbt command {name!r}"
        command = command.commands[name]
    if isinstance(command, click.Group):
        return f"dbt {' '.join(words)} names no command"
    accepted = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    accepted |= {opt for param in dbt_cli().params for opt in (*param.opts, *param.secondary_opts)}
    unknown = [
        word.split("=", 1)[0]
        for word in rest
        if word.startswith("--") and word.split("=", 1)[0] not in accepted
    ]
    return f"dbt {command.name} has no {', '.join(unknown)}" if unknown else None


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but - and _ dropped, spaces to -."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2, … as on GitHub."""
    text = FENCE.sub("", path.read_text())
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"(?m)^#{1,6} (.+)$", text):
        base = slug(heading)
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        unknown_anchor = anchor and linked.suffix == ".md" and anchor not in anchors(linked)
        if not linked.exists() or unknown_anchor:
            broken.append(target)
    return broken


def name_of(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@pytest.fixture(scope="module")
def project_node_names(built_warehouse) -> set[str]:
    manifest = json.loads((built_warehouse.parent / "target" / "manifest.json").read_text())
    names = {node["name"] for node in manifest["nodes"].values()}
    names |= {node["name"] for node in manifest["exposures"].values()}
    names |= {node["name"] for node in manifest["sources"].values()}
    return names


def test_readme_is_a_front_door():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README.read_text()))
    pages = {name_of(page) for page in DOCS[1:]}
    assert pages - linked == set(), "docs pages the README does not link"


def test_every_repository_path_exists():
    missing = {
        name_of(doc): sorted(
            p for p in repo_paths(doc.read_text()) if not (PROJECT_ROOT / p).exists()
        )
        for doc in DOCS
    }
    assert {doc: paths for doc, paths in missing.items() if paths} == {}


@cache
def tracked_file_names() -> frozenset[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return frozenset(Path(line).name for line in listed.stdout.splitlines())


def test_every_file_named_without_its_folder_exists():
    missing = {
        name_of(doc): sorted(file_names(doc.read_text()) - tracked_file_names()) for doc in DOCS
    }
    assert {doc: names for doc, names in missing.items() if names} == {}
    assert sum(len(file_names(doc.read_text())) for doc in DOCS) >= 30


def test_every_make_target_exists():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"(?m)^([a-z][\w-]*):", makefile))
    missing = {name_of(doc): sorted(make_targets(doc.read_text()) - targets) for doc in DOCS}
    assert {doc: found for doc, found in missing.items() if found} == {}
    assert sum(len(make_targets(doc.read_text())) for doc in DOCS) >= 5


def test_every_model_name_is_a_node(project_node_names):
    unknown = {
        name_of(doc): sorted(
            name
            for name in node_names(doc.read_text()) - project_node_names
            if (name_of(doc), name) not in NOT_NODES
        )
        for doc in DOCS
    }
    assert {doc: names for doc, names in unknown.items() if names} == {}
    assert sum(len(node_names(doc.read_text())) for doc in DOCS) >= 30


def test_every_dbt_command_and_flag_exists():
    wrong = {
        name_of(doc): [
            problem
            for words in dbt_commands(doc.read_text())
            if (problem := check_dbt_command(words))
        ]
        for doc in DOCS
    }
    assert {doc: problems for doc, problems in wrong.items() if problems} == {}
    assert sum(len(dbt_commands(doc.read_text())) for doc in DOCS) >= 10


def test_every_relative_link_and_anchor_resolves():
    broken = {name_of(doc): broken_links(doc) for doc in DOCS}
    assert {doc: links for doc, links in broken.items() if links} == {}


@pytest.mark.parametrize(
    ("markdown", "paths", "targets", "names", "commands"),
    [
        (
            "Run `make build`, then `dbt build --select +rfm` on `models/marts/commerce/rfm.sql`"
            " (`core.client_dim`, `stg_crm__<entity>`, `build/warehouse.duckdb`).",
            {"models/marts/commerce/rfm.sql"},
            {"build"},
            {"client_dim"},
            [["build", "--select", "+rfm"]],
        ),
        (
            "```bash\nmake data OUT=x   # then\ndbt run --full-refresh; dbt docs generate\n```",
            set(),
            {"data"},
            set(),
            [["run", "--full-refresh"], ["docs", "generate"]],
        ),
    ],
)
def test_the_scanner_finds_what_the_docs_spell(markdown, paths, targets, names, commands):
    assert repo_paths(markdown) == paths
    assert make_targets(markdown) == targets
    assert node_names(markdown) == names
    assert dbt_commands(markdown) == commands


@pytest.mark.parametrize(
    ("words", "ok"),
    [
        (["build", "--select", "state:modified+", "--defer", "--state", "x"], True),
        (["docs", "generate"], True),
        (["build", "--no-such-flag"], False),
        (["frobnicate"], False),
        (["compile", "--no-populate-cache", "--vars", "{}"], True),
    ],
)
def test_the_dbt_check_knows_dbt(words, ok):
    assert (check_dbt_command(words) is None) == ok


def test_links_and_anchors_are_checked(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other page\n\n## A section\n")
    page.write_text("[a](other.md#a-section) [b](other.md#nope) [c](missing.md) [d](#top)\n# Top\n")
    assert broken_links(page) == ["other.md#nope", "missing.md"]


def metric(model: str, name: str) -> str:
    return (
        "(select metric_value from core.model_metrics"
        f" where model_name = '{model}' and metric_name = '{name}')"
    )


# Figures the docs quote from the committed sample's build: (page, the sentence with each figure
# as a format field, the query giving the figures). A rebuild that moves one fails the test,
# which prints the sentence as it should now read.
SAMPLE_FIGURES = [
    (
        "README.md",
        "sample: `{}` wins with AUC {:.3f}, PR-AUC {:.3f}, Brier {:.3f} (base rate {:.3f}); "
        "recency alone {:.3f}",
        "select (select min(churn_method) from core.client_scores), "
        + ", ".join(
            metric(*pair)
            for pair in [
                ("churn", "roc_auc"),
                ("churn", "pr_auc"),
                ("churn", "brier_score"),
                ("churn", "brier_score_base_rate"),
                ("churn_recency", "validation_roc_auc"),
            ]
        ),
    ),
    (
        "README.md",
        "precision {:.3f}, recall {:.3f}, F1 {:.3f}",
        "select "
        + ", ".join(
            metric("client_dedupe", f"pairwise_{m}") for m in ("precision", "recall", "f1")
        ),
    ),
    (
        "docs/scoring.md",
        "churn won by `{}` (BG/NBD) with validation AUC {:.3f} (recency {:.3f}, logistic {:.3f}, "
        "gradient boosting {:.3f}; Brier {:.3f} vs {:.3f} for the base rate), KMeans k = {:.0f} on "
        "{:.0f} features (silhouette {:.2f}; segments in segments.md), BG/NBD r {:.2f}, alpha "
        "{:.1f}, a {:.2f}, b {:.2f}.",
        "select (select min(churn_method) from core.client_scores), "
        + ", ".join(
            metric(*pair)
            for pair in [
                ("churn", "roc_auc"),
                ("churn_recency", "validation_roc_auc"),
                ("churn_logistic_rfm", "validation_roc_auc"),
                ("churn_gradient_boosting", "validation_roc_auc"),
                ("churn", "brier_score"),
                ("churn", "brier_score_base_rate"),
                ("kmeans", "chosen_k"),
                ("kmeans", "n_features"),
                ("kmeans", "silhouette"),
                ("bg_nbd", "r"),
                ("bg_nbd", "alpha"),
                ("bg_nbd", "a"),
                ("bg_nbd", "b"),
            ]
        ),
    ),
    (
        "docs/commerce.md",
        "`client_match_status = 'client_record_rejected'` ({:.1f} % of the sample's lines;",
        "select 100.0 * count(*) filter (where client_match_status = 'client_record_rejected')"
        " / count(*) from core.transactions_fact",
    ),
    (
        "docs/commerce.md",
        "December 2025 on the sample: {:.1f},",
        "select health_score from core.business_metrics_monthly where month_start = '2025-12-01'",
    ),
]


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(("page", "sentence", "sql"), SAMPLE_FIGURES)
def test_figures_quoted_from_the_sample_match_its_build(built_warehouse, page, sentence, sql):
    import duckdb

    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        figures = connection.execute(sql).fetchone()
    assert None not in figures, sql
    expected = sentence.format(*figures)
    assert expected in one_line((PROJECT_ROOT / page).read_text()), expected


def test_the_contract_table_in_the_docs_is_the_sources_yaml():
    """docs/raw_input.md shows the raw file contract; _crm__sources.yml is where it is written."""
    sources = yaml.safe_load(
        (PROJECT_ROOT / "models" / "staging" / "crm" / "_crm__sources.yml").read_text()
    )
    contract = {
        f"{table['name']}.csv": [column["name"] for column in table["columns"]]
        for table in sources["sources"][0]["tables"]
        if table["name"] in ("clients", "products", "transactions")
    }
    page = (PROJECT_ROOT / "docs" / "raw_input.md").read_text()
    documented = {
        name: [re.sub(r"\*\*|\s*\(.*\)", "", column).strip() for column in columns.split(", ")]
        for name, columns in re.findall(r"(?m)^\| `(\w+\.csv)` \| (.+) \|$", page)
    }
    assert set(contract) == {"clients.csv", "products.csv", "transactions.csv"}
    assert documented == contract


def test_no_page_points_at_a_tracker_the_repository_does_not_have():
    found = {name_of(doc): re.findall(r"(?i)\bissues? #?\d+", doc.read_text()) for doc in DOCS}
    assert {doc: refs for doc, refs in found.items() if refs} == {}
