"""Pandas baseline for bench/run_benchmarks.py: the warehouse's cleaning, RFM and KMeans
segmentation done the way a typical pandas user would, one step at a time, each step reading the
previous step's pickle and writing its own: load (raw CSVs) -> clean (models/staging/crm) ->
rfm (models/marts/commerce/rfm.sql) -> kmeans (python_models/scoring/int_client_segments.py).
The last line of stdout is a JSON object of step seconds and row counts; the differences from
the warehouse are listed in bench/baseline/README.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

REFERENCE = Path(__file__).resolve().parents[2] / "seeds" / "reference"
K_RANGE = range(3, 9)  # vars min_segments / max_segments in dbt_project.yml
SILHOUETTE_SAMPLE = 5_000
CLIP_QUANTILES = (0.01, 0.99)

# The shapes of macros/staging/parsing.sql. [[:space:]] in the SQL is ASCII whitespace only,
# narrower than Python's \s, so it is spelled out.
SPACE = r"[ \t\n\r\f\v]+"
INTEGER = r"[-+]?[0-9]{1,18}"
DECIMAL = r"[-+]?[0-9]{1,15}(?:[.][0-9]+)?"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIMESTAMP = DATE + r"(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?"


def clean_text(raw: pd.Series) -> pd.Series:
    """Whitespace runs collapsed, trimmed, empty -> missing (macro clean_text)."""
    text = raw.str.replace(SPACE, " ", regex=True).str.strip()
    return text.mask(text == "")


def parse_number(raw: pd.Series, shape: str) -> pd.Series:
    """A float for values of the contract's shape, NaN otherwise (never an error)."""
    text = raw.str.strip()
    return pd.to_numeric(text.where(text.str.fullmatch(shape, na=False)), errors="coerce")


def parse_datetime(raw: pd.Series, shape: str) -> pd.Series:
    """NaT for values of the wrong shape and for impossible dates such as 2023-13-45."""
    text = raw.str.strip()
    text = text.where(text.str.fullmatch(shape, na=False)).str.replace("T", " ")
    return pd.to_datetime(text, format="ISO8601", errors="coerce")


def is_malformed(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """Present in the file but unparseable (macro is_malformed); missing is not malformed."""
    return clean_text(raw).notna() & parsed.isna()


def first_reason(checks: list[tuple[str, pd.Series]]) -> pd.Series:
    """The first failing check per row, like the SQL CASE; None when every check passes."""
    conditions = [condition.fillna(False).to_numpy(dtype=bool) for _, condition in checks]
    return pd.Series(
        np.select(conditions, [name for name, _ in checks], default=None),
        index=checks[0][1].index,
    )


def load(raw_dir: Path, work_dir: Path) -> dict:
    # Everything as text, like the warehouse's all_varchar read: typing happens in clean.
    # keep_default_na=False so literal "NA"/"NULL" stay text; only empty fields are missing.
    read = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    transactions = pd.read_csv(raw_dir / "transactions.csv", **read)
    transactions.to_pickle(work_dir / "raw_transactions.pkl")
    # Clients are needed because RFM only counts lines whose client record passed staging.
    # products.csv is not read: product_dim keeps every code seen on a line, so the product
    # master never removes a line from RFM, and non-product codes come from the seed.
    pd.read_csv(raw_dir / "clients.csv", **read).to_pickle(work_dir / "raw_clients.pkl")
    return {"raw_transactions": len(transactions)}


def clean_clients(raw: pd.DataFrame) -> pd.DataFrame:
    """base_crm__clients + stg_crm__clients: the valid client records, one per client_id."""
    df = pd.DataFrame({"client_id": clean_text(raw["client_id"])})
    df["client_name"] = clean_text(raw["client_name"])
    df["client_type"] = clean_text(raw["client_type"]).str.lower()
    df["country"] = clean_text(raw["country"])
    df["date_of_birth"] = parse_datetime(raw["date_of_birth"], DATE)
    df["annual_revenue"] = parse_number(raw["annual_revenue"], DECIMAL).round(2)
    df["created_at"] = parse_datetime(raw["created_at"], TIMESTAMP)
    df["updated_at"] = parse_datetime(raw["updated_at"], TIMESTAMP)
    dob, revenue, kind = df["date_of_birth"], df["annual_revenue"], df["client_type"]
    df["reject_reason"] = first_reason(
        [
            ("duplicate_row", raw.duplicated(keep="first")),
            ("missing_client_id", df["client_id"].isna()),
            ("missing_client_name", df["client_name"].isna()),
            # SQL's NULL NOT IN (...) is not true, so a missing type is accepted.
            ("invalid_client_type", kind.notna() & ~kind.isin(["institution", "individual"])),
            (
                "invalid_date_of_birth",
                is_malformed(raw["date_of_birth"], dob) | (dob < pd.Timestamp("1900-01-01")),
            ),
            (
                "invalid_annual_revenue",
                is_malformed(raw["annual_revenue"], revenue) | (revenue < 0),
            ),
            ("invalid_created_at", is_malformed(raw["created_at"], df["created_at"])),
            ("invalid_updated_at", is_malformed(raw["updated_at"], df["updated_at"])),
        ]
    )
    valid = df[df["reject_reason"].isna()].drop(columns="reject_reason")
    # client_id is unique by contract; when valid rows disagree the latest update wins.
    valid = valid.sort_values("updated_at", ascending=False, na_position="last", kind="stable")
    return valid.drop_duplicates("client_id").reset_index(drop=True)


def clean(work_dir: Path) -> dict:
    """base_crm__transactions + stg_crm__transactions(_rejected)."""
    raw = pd.read_pickle(work_dir / "raw_transactions.pkl")
    df = pd.DataFrame({"invoice_no": clean_text(raw["invoice_no"]).str.upper()})
    df["stock_code"] = clean_text(raw["stock_code"]).str.upper()
    # Descriptions: upper case, single spaces, missing when only '?' placeholders.
    description = clean_text(raw["description"])
    unknown = description.str.fullmatch(r"[? \t\n\r\f\v]+", na=False)
    df["description"] = description.str.upper().mask(unknown)
    df["quantity"] = parse_number(raw["quantity"], INTEGER)
    df["unit_price"] = parse_number(raw["unit_price"], DECIMAL).round(4)  # decimal(18, 4)
    df["invoice_at"] = parse_datetime(raw["invoice_date"], TIMESTAMP)
    df["client_id"] = clean_text(raw["client_id"])
    df["country"] = clean_text(raw["country"])
    df["is_cancellation"] = df["invoice_no"].str.startswith("C", na=False)

    # Non-product lines (postage, fees, vouchers) stay in staging but are flagged.
    codes = pd.read_csv(REFERENCE / "non_product_codes.csv", dtype=str)
    exact = codes[codes["match_type"] == "exact"].set_index("code")["kind"]
    df["non_product_kind"] = df["stock_code"].map(exact)
    for row in codes[codes["match_type"] == "prefix"].itertuples():
        prefixed = df["stock_code"].str.startswith(row.code, na=False)
        df.loc[prefixed & df["non_product_kind"].isna(), "non_product_kind"] = row.kind
    df["is_non_product"] = df["non_product_kind"].notna()

    cancel, qty = df["is_cancellation"], df["quantity"]
    df["reject_reason"] = first_reason(
        [
            ("duplicate_row", raw.duplicated(keep="first")),
            ("missing_invoice_no", df["invoice_no"].isna()),
            ("missing_stock_code", df["stock_code"].isna()),
            ("missing_client_id", df["client_id"].isna()),
            ("invalid_invoice_date", df["invoice_at"].isna()),
            ("invalid_quantity", qty.isna()),
            ("invalid_unit_price", df["unit_price"].isna()),
            ("zero_quantity", qty == 0),
            ("non_positive_unit_price", df["unit_price"] <= 0),
            ("cancellation_with_positive_quantity", cancel & (qty > 0)),
            ("negative_quantity_without_cancellation", ~cancel & (qty < 0)),
        ]
    )
    rejected = raw[df["reject_reason"].notna()].assign(reject_reason=df["reject_reason"])
    good = df[df["reject_reason"].isna()].drop(columns="reject_reason")
    good = good.assign(quantity=good["quantity"].astype("int64")).reset_index(drop=True)
    good["line_amount"] = (good["quantity"] * good["unit_price"]).round(2)  # decimal(18, 2)
    good["invoice_date"] = good["invoice_at"].dt.normalize()
    good.to_pickle(work_dir / "clean_transactions.pkl")
    rejected.to_pickle(work_dir / "rejected_transactions.pkl")
    clients = clean_clients(pd.read_pickle(work_dir / "raw_clients.pkl"))
    clients.to_pickle(work_dir / "clean_clients.pkl")
    return {"clean_transactions": len(good), "rejected_transactions": len(rejected)}


def score(values: pd.Series, ascending: bool) -> pd.Series:
    """SQL least(5, 1 + floor(5 * percent_rank())): ties share their group's lowest score."""
    ranks = values.rank(method="min", ascending=ascending)
    percent = (ranks - 1) / max(len(values) - 1, 1)
    return np.minimum(5, 1 + np.floor(5 * percent)).astype(int)


def rfm(work_dir: Path) -> dict:
    lines = pd.read_pickle(work_dir / "clean_transactions.pkl")
    clients = pd.read_pickle(work_dir / "clean_clients.pkl")
    # As-of date: the day after the last staged invoice (var as_of_date unset).
    as_of = lines["invoice_date"].max() + pd.Timedelta(days=1)
    # int_client_product_lines: product lines of known clients, dated before the as-of date.
    lines = lines[
        lines["client_id"].isin(clients["client_id"])
        & ~lines["is_non_product"]
        & (lines["invoice_date"] < as_of)
    ]
    sales = lines[~lines["is_cancellation"]]
    buyers = sales.groupby("client_id").agg(
        first_purchase_date=("invoice_date", "min"),
        last_purchase_date=("invoice_date", "max"),
        frequency=("invoice_no", "nunique"),
    )
    # Monetary is net of cancellations, so it is summed over every line, not only sales.
    buyers["monetary"] = lines.groupby("client_id")["line_amount"].sum().round(2)
    buyers["recency_days"] = (as_of - buyers["last_purchase_date"]).dt.days
    buyers["tenure_days"] = (as_of - buyers["first_purchase_date"]).dt.days
    for column, measure, ascending in [
        ("r_score", "recency_days", False),  # 5 = most recent
        ("f_score", "frequency", True),
        ("m_score", "monetary", True),
    ]:
        buyers[column] = score(buyers[measure], ascending)

    segments = pd.read_csv(REFERENCE / "rfm_segments.csv")
    buyers["segment_name"] = None
    for rule in segments.itertuples():
        r_matches = buyers["r_score"].between(rule.r_score_min, rule.r_score_max)
        f_matches = buyers["f_score"].between(rule.f_score_min, rule.f_score_max)
        unnamed = buyers["segment_name"].isna()
        buyers.loc[r_matches & f_matches & unnamed, "segment_name"] = rule.segment_name

    # One row per valid client, as in the mart; clients without a purchase get no scores.
    table = clients[["client_id"]].merge(buyers.reset_index(), on="client_id", how="left")
    table["segment_name"] = table["segment_name"].fillna("No Purchases")
    table["frequency"] = table["frequency"].fillna(0).astype(int)
    table["monetary"] = table["monetary"].fillna(0.0)
    table.to_pickle(work_dir / "rfm.pkl")
    return {"clients_with_rfm": int(table["r_score"].notna().sum())}


def kmeans(work_dir: Path, seed: int) -> dict:
    table = pd.read_pickle(work_dir / "rfm.pkl")
    buyers = table[table["frequency"] > 0].sort_values("client_id", ignore_index=True)
    # Same features as the warehouse: log1p of the skewed RFM values, clipped to the 1st-99th
    # percentile so a few extreme clients cannot stretch the scale, then standardised.
    logged = np.log1p(
        buyers[["recency_days", "frequency", "monetary"]].astype(float).clip(lower=0)
    ).to_numpy()
    low, high = np.quantile(logged, CLIP_QUANTILES, axis=0)
    points = StandardScaler().fit_transform(np.clip(logged, low, high))

    # Each k is fitted on all buyers; its silhouette is measured on a fixed-seed sample
    # because the full silhouette is quadratic in the number of clients.
    distinct = len(np.unique(points, axis=0))
    best_k, best_silhouette, best_labels = 1, -np.inf, np.zeros(len(points), dtype=int)
    for k in range(K_RANGE.start, min(K_RANGE.stop, distinct)):
        labels = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(points)
        silhouette = silhouette_score(
            points, labels, sample_size=min(SILHOUETTE_SAMPLE, len(points)), random_state=seed
        )
        if silhouette > best_silhouette:
            best_k, best_silhouette, best_labels = k, silhouette, labels

    # Segment 1 is the cluster with the highest median spend, so labels do not depend on
    # KMeans' arbitrary numbering; clients without a purchase are segment 0.
    order = buyers.groupby(best_labels)["monetary"].median().sort_values(ascending=False)
    segment_of = {label: segment for segment, label in enumerate(order.index, start=1)}
    segment_ids = dict(zip(buyers["client_id"], map(segment_of.get, best_labels), strict=True))
    segments = table[["client_id"]].assign(
        segment_id=table["client_id"].map(segment_ids).fillna(0).astype(int)
    )
    segments.to_pickle(work_dir / "segments.pkl")
    return {"segments": best_k}


def run(raw_dir: Path, work_dir: Path, seed: int = 42) -> dict:
    raw_dir, work_dir = Path(raw_dir), Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    steps = {
        "load": lambda: load(raw_dir, work_dir),
        "clean": lambda: clean(work_dir),
        "rfm": lambda: rfm(work_dir),
        "kmeans": lambda: kmeans(work_dir, seed),
    }
    timings, rows = {}, {}
    started = time.perf_counter()
    for name, step in steps.items():
        step_started = time.perf_counter()
        rows.update(step())
        timings[name] = round(time.perf_counter() - step_started, 3)
    total = round(time.perf_counter() - started, 3)
    return {"steps": timings, "total_s": total, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    print(json.dumps(run(args.raw_dir, args.work_dir, args.seed)))


if __name__ == "__main__":
    main()
