"""var raw_data_dir is pasted into SQL strings (read_csv('<dir>/clients.csv', ...), glob(...)) and
into the Python format string dbt-duckdb fills in with each file's name, so a directory named
with a quote or braces must still be read, found and named in messages as it is."""

from __future__ import annotations

import json
import shutil

from conftest import SAMPLE_DIR, run_dbt


def test_a_quote_and_braces_in_raw_data_dir_are_read_found_and_named(tmp_path):
    raw_dir = tmp_path / "o'brien {crm}" / "raw"
    shutil.copytree(SAMPLE_DIR, raw_dir)
    variables = ["--vars", json.dumps({"raw_data_dir": str(raw_dir)})]
    # The products' staging models and the seed they read, without data tests on other models.
    products_staging = [
        "+stg_crm__products", "stg_crm__products_rejected",
        "--resource-type", "seed", "--resource-type", "model",
    ]  # fmt: skip

    run = run_dbt(["build", "-s", *products_staging, *variables], tmp_path)
    assert run.returncode == 0, run.output[-3000:]

    # The optional ground truth file is found (macro source_exists globs for it) and read.
    run = run_dbt(["compile", "-s", "dedupe_evaluation", *variables], tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    compiled = next((tmp_path / "target" / "compiled").rglob("dedupe_evaluation.sql")).read_text()
    assert f"read_csv('{str(raw_dir).replace(chr(39), chr(39) * 2)}/ground_truth.csv'" in compiled

    products = raw_dir / "products.csv"
    products.write_text(products.read_text().replace("launch_date", "launched"))
    run = run_dbt(["build", "-s", "base_crm__products", *variables], tmp_path)
    assert run.returncode != 0
    assert f"{products} (source crm.products) is missing column(s): launch_date." in run.output
