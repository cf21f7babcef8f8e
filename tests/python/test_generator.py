"""The raw data generator: determinism, file contract, ground truth, defect counts, realism.

Every later quality claim (dedupe F1, churn and CLV accuracy, cross-sell rules) is scored against
what the generator says it produced, so these tests recount the manifest from the CSV files.
"""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from customer_analytics.generator import config, generate
from customer_analytics.generator.products import build_catalogue
from customer_analytics.generator.vocab import NON_PRODUCT_CODES

SEED, CLIENTS, LINES = 7, 600, 30_000
FILES = ("clients.csv", "products.csv", "transactions.csv", "ground_truth.csv", "manifest.json")
NON_PRODUCT = {code for code, *_ in NON_PRODUCT_CODES}
PLACEHOLDERS = {"?", "??"}
TIMESTAMP, DATE = "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("raw")
    generate(directory, seed=SEED, clients=CLIENTS, transactions=LINES)
    return directory


@pytest.fixture(scope="module")
def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def clients(out) -> pd.DataFrame:
    return _read(out / "clients.csv")


@pytest.fixture(scope="module")
def products(out) -> pd.DataFrame:
    return _read(out / "products.csv")


@pytest.fixture(scope="module")
def lines(out) -> pd.DataFrame:
    return _read(out / "transactions.csv")


@pytest.fixture(scope="module")
def truth(out) -> pd.DataFrame:
    return _read(out / "ground_truth.csv")


def _same_files(a: Path, b: Path) -> bool:
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in FILES)


# --- determinism and the command line ---------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "customer_analytics.generator", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_cli_reproduces_the_api_byte_for_byte(out, tmp_path):
    sizes = ["--clients", str(CLIENTS), "--transactions", str(LINES)]
    result = _cli("--seed", str(SEED), *sizes, "--out", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: no progress bar
    assert _same_files(out, tmp_path)


def test_another_seed_gives_other_data(out, tmp_path):
    generate(tmp_path, seed=SEED + 1, clients=CLIENTS, transactions=LINES)
    for name in ("clients.csv", "products.csv", "transactions.csv"):
        assert not filecmp.cmp(out / name, tmp_path / name, shallow=False)


def test_cli_rejects_sizes_too_small_to_model(tmp_path):
    result = _cli("--clients", "5", "--out", str(tmp_path), "--quiet")
    assert result.returncode == 2
    assert "clients must be at least" in result.stderr


# --- file contract ----------------------------------------------------------------------------


def test_headers_and_row_counts(out, manifest, clients, products, lines, truth):
    headers = {
        "clients.csv": "source_system,client_id,client_name,client_type,email,phone,address_line,"
        "city,postcode,state,country,date_of_birth,tax_id,parent_client_id,industry,"
        "annual_revenue,created_at,updated_at",
        "products.csv": "stock_code,description,category,unit_price,launch_date,status",
        "transactions.csv": "invoice_no,stock_code,description,quantity,unit_price,invoice_date,"
        "client_id,country",
        "ground_truth.csv": "source_system,client_id,entity_id,entity_type",
    }
    for name, header in headers.items():
        raw = (out / name).read_bytes()
        assert raw.startswith(header.encode() + b"\n")
        assert b"\r" not in raw and raw.endswith(b"\n")
    for name, frame in (
        ("clients.csv", clients),
        ("products.csv", products),
        ("transactions.csv", lines),
        ("ground_truth.csv", truth),
    ):
        assert manifest["row_counts"][name] == len(frame)
    assert manifest["row_counts"]["clients.csv"] == CLIENTS
    assert manifest["row_counts"]["transactions.csv"] == LINES
    n_merch = manifest["arguments"]["products"]
    product_defects = manifest["defects"]["products"]
    assert manifest["row_counts"]["products.csv"] == (
        n_merch
        + len(NON_PRODUCT)
        + product_defects["exact_duplicate_rows"]
        + product_defects["conflicting_stock_code"]
    )


def test_fields_with_commas_are_quoted(out, clients):
    quoted = clients[clients["address_line"].str.contains(",")]
    assert len(quoted) > 0  # "Unit 4, 12 Harbour Road"
    raw = (out / "clients.csv").read_text(encoding="utf-8")
    assert f'"{quoted["address_line"].iloc[0]}"' in raw


def test_manifest_publishes_truth(manifest):
    params = manifest["true_parameters"]
    assert set(params["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert set(params["gamma_gamma"]) >= {"p", "q", "gamma"}
    assert params["lambda_scale"] > 0
    assert manifest["observation_window"] == {
        "start": config.WINDOW_START,
        "end": config.WINDOW_END,
    }
    assert manifest["generator_version"] == config.GENERATOR_VERSION


# --- ground truth and duplicates --------------------------------------------------------------


def test_ground_truth_covers_every_record_once(clients, truth, manifest):
    records = clients[["source_system", "client_id"]].drop_duplicates()
    assert len(truth) == len(records)
    assert not truth.duplicated(["source_system", "client_id"]).any()
    assert set(truth["client_id"]) == set(clients["client_id"])
    assert set(truth["entity_type"]) == {"institution", "individual"}
    sizes = truth.groupby("entity_id").size()
    assert len(sizes) == manifest["entities"]
    assert (sizes > 1).sum() == manifest["duplicate_entities"]
    assert 0.07 <= (sizes > 1).mean() <= 0.13
    assert sizes.max() <= 4


def _strong_identifiers(a: pd.Series, b: pd.Series) -> int:
    """How many strong identifiers two records share, after the normalisation a matcher does."""

    def digits(s: str) -> str:
        return "".join(ch for ch in s if ch.isdigit())

    def postcode(s: str) -> str:
        return "".join(ch for ch in s if ch.isalnum()).upper()

    shared = [
        a["tax_id"] != "" and a["tax_id"] == b["tax_id"],
        a["email"] != "" and a["email"].lower() == b["email"].lower(),
        len(digits(a["phone"])) >= 7 and digits(a["phone"])[-7:] == digits(b["phone"])[-7:],
        a["address_line"].strip() != ""
        and b["address_line"].strip() != ""
        and digits(a["address_line"]) == digits(b["address_line"])
        and postcode(a["postcode"]) == postcode(b["postcode"]),
        a["date_of_birth"] != "" and a["date_of_birth"] == b["date_of_birth"],
    ]
    return sum(shared)


def test_duplicate_records_vary_but_stay_matchable(clients, truth):
    invalid_dob = pd.to_datetime(clients["date_of_birth"], format=DATE, errors="coerce").isna()
    usable = clients[~(invalid_dob & (clients["date_of_birth"] != ""))]
    records = usable.drop_duplicates("client_id").merge(truth, on=["source_system", "client_id"])
    compare = [
        c
        for c in clients.columns
        if c not in ("source_system", "client_id", "created_at", "updated_at", "parent_client_id")
    ]
    pairs = differing = 0
    for _, group in records.groupby("entity_id"):
        rows = [row for _, row in group.iterrows()]
        for i in range(len(rows)):
            for j in range(i + 1, len(rows)):
                pairs += 1
                differing += any(rows[i][c] != rows[j][c] for c in compare)
                assert _strong_identifiers(rows[i], rows[j]) >= 2, (rows[i], rows[j])
    assert pairs > 30
    assert differing >= 0.95 * pairs


def test_namesakes_share_a_name_but_no_identifier(clients, truth, manifest):
    records = clients.drop_duplicates("client_id").merge(truth, on=["source_system", "client_id"])
    named = records[records["client_name"] != ""]
    by_name = named.groupby("client_name")["entity_id"].nunique()
    shared = by_name[by_name > 1]
    assert manifest["hard_negative_entities"] >= 1
    assert len(shared) >= 1
    for name in shared.index:
        group = named[named["client_name"] == name].drop_duplicates("entity_id")
        assert _strong_identifiers(group.iloc[0], group.iloc[1]) == 0


# --- recounting the manifest's defects --------------------------------------------------------


def _unparsable(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values, format=fmt, errors="coerce").isna()


def _parent_cycles(clients: pd.DataFrame) -> int:
    parent = dict(zip(clients["client_id"], clients["parent_client_id"], strict=False))
    return sum(1 for c, p in parent.items() if p and parent.get(p) == c and c < p)


def test_client_defects_recount(clients, manifest):
    d = manifest["defects"]["clients"]
    dob, revenue = clients["date_of_birth"], clients["annual_revenue"]
    assert d["missing_client_name"] == (clients["client_name"] == "").sum()
    assert d["invalid_date_of_birth"] == ((dob != "") & _unparsable(dob, DATE)).sum()
    assert (
        d["invalid_annual_revenue"]
        == ((revenue != "") & ~revenue.str.fullmatch(r"\d+\.\d{2}")).sum()
    )
    assert (
        d["invalid_client_type"]
        == (~clients["client_type"].isin(["institution", "individual"])).sum()
    )
    assert d["exact_duplicate_rows"] == clients.duplicated().sum()
    assert d["conflicting_client_id"] == clients.drop_duplicates()["client_id"].duplicated().sum()
    assert d["parent_cycles"] == _parent_cycles(clients.drop_duplicates("client_id"))


def test_product_defects_recount(products, manifest):
    d = manifest["defects"]["products"]
    distinct = products.drop_duplicates()
    merch = distinct[distinct["category"] != ""]
    price, description = distinct["unit_price"], merch["description"]
    valid_price = price.str.fullmatch(r"-?\d+\.\d{2}")
    normalised = description.str.split().str.join(" ").str.upper()
    assert d["exact_duplicate_rows"] == products.duplicated().sum()
    assert d["conflicting_stock_code"] == distinct["stock_code"].duplicated().sum()
    assert d["invalid_unit_price"] == (~valid_price).sum()
    assert d["non_positive_unit_price"] == (pd.to_numeric(price[valid_price]) <= 0).sum()
    assert d["invalid_launch_date"] == _unparsable(distinct["launch_date"], DATE).sum()
    assert d["question_mark_description"] == description.isin(PLACEHOLDERS).sum()
    assert (
        d["messy_description"]
        == ((description != normalised) & ~description.isin(PLACEHOLDERS)).sum()
    )


def _known_description(lines, products) -> pd.Series:
    first = products.drop_duplicates("stock_code").set_index("stock_code")["description"]
    return lines["stock_code"].map(first)


def test_transaction_defects_recount(lines, products, manifest):
    d = manifest["defects"]["transactions"]
    is_cancel = lines["invoice_no"].str.startswith("C")
    quantity_ok = lines["quantity"].str.fullmatch(r"-?\d+")
    price_ok = lines["unit_price"].str.fullmatch(r"-?\d+\.\d{2}")
    merch = lines["stock_code"].isin(products["stock_code"]) & ~lines["stock_code"].isin(
        NON_PRODUCT
    )
    quantity = pd.to_numeric(lines["quantity"].where(quantity_ok))
    catalogue = _known_description(lines, products)
    placeholder = lines["description"].isin(PLACEHOLDERS)
    differs = merch & (lines["description"] != catalogue) & ~catalogue.isin(PLACEHOLDERS)
    assert d["missing_client_id"] == (lines["client_id"] == "").sum()
    assert d["exact_duplicate_rows"] == lines.duplicated().sum()
    assert d["cancellation_lines"] == is_cancel.sum()
    assert d["invalid_quantity"] == (~quantity_ok).sum()
    assert d["invalid_unit_price"] == (~price_ok).sum()
    assert d["non_positive_unit_price"] == (pd.to_numeric(lines["unit_price"][price_ok]) <= 0).sum()
    assert d["invalid_invoice_date"] == _unparsable(lines["invoice_date"], TIMESTAMP).sum()
    assert d["non_product_lines"] == lines["stock_code"].isin(NON_PRODUCT).sum()
    assert d["unknown_stock_code"] == (~lines["stock_code"].isin(products["stock_code"])).sum()
    assert d["question_mark_description"] == (differs & placeholder).sum()
    assert d["messy_description"] == (differs & ~placeholder).sum()
    assert (
        d["negative_quantity_without_cancellation"] == (~is_cancel & merch & (quantity < 0)).sum()
    )
    assert (quantity[is_cancel] < 0).all()
    # A line without a client carries no second defect, so reject reasons never compete.
    blank = lines["client_id"] == ""
    assert not (blank & (~quantity_ok | ~price_ok | (lines["description"] != catalogue))).any()


def test_defect_rates_are_near_the_configured_ones(manifest, truth):
    people = int((truth["entity_type"] == "individual").sum())
    bases = {
        "clients": CLIENTS,
        "products": manifest["arguments"]["products"],
        "transactions": LINES,
    }
    special = {"invalid_date_of_birth": people, "invalid_annual_revenue": len(truth) - people}
    for kind, rates in manifest["configured_defect_rates"].items():
        for defect, rate in rates.items():
            base = special.get(defect, bases[kind]) if kind == "clients" else bases[kind]
            observed = manifest["defects"][kind][defect] / base
            assert abs(observed - rate) <= max(0.3 * rate, 2.5 / base), (kind, defect, observed)
    cancelled = manifest["simulation"]["cancelled_invoices"] / manifest["simulation"]["invoices"]
    assert 0.008 <= cancelled <= 0.025


# --- consistency and behaviour ----------------------------------------------------------------


def test_every_client_reference_resolves(clients, lines):
    ids = set(clients["client_id"])
    referenced = set(lines["client_id"]) - {""}
    assert referenced <= ids
    parents = set(clients["parent_client_id"]) - {""}
    assert parents <= ids
    assert len(parents) > 5


def test_times_inside_the_window_and_after_record_creation(clients, lines, truth):
    when = pd.to_datetime(lines["invoice_date"], format=TIMESTAMP, errors="coerce").dropna()
    assert when.min() >= pd.Timestamp(config.WINDOW_START)
    assert when.max() <= pd.Timestamp(config.WINDOW_END)
    created = pd.to_datetime(clients["created_at"], format=TIMESTAMP)
    updated = pd.to_datetime(clients["updated_at"], format=TIMESTAMP)
    assert (updated >= created).all() and updated.max() <= pd.Timestamp(config.WINDOW_END)
    dated = lines.assign(
        at=pd.to_datetime(lines["invoice_date"], format=TIMESTAMP, errors="coerce")
    )
    first_buy = dated.merge(truth, on="client_id").groupby("entity_id")["at"].min()
    creation = clients.assign(at=created).merge(truth, on="client_id").groupby("entity_id")["at"]
    assert (creation.max().reindex(first_buy.index) < first_buy).all()


def test_cancellations_follow_their_invoice(lines):
    is_cancel = lines["invoice_no"].str.startswith("C")
    number = lines["invoice_no"].str.lstrip("C").astype(int)
    assert number.min() == config.FIRST_INVOICE_NUMBER
    assert number.is_monotonic_increasing  # the file is in invoice order, numbers follow time
    assert not (set(number[is_cancel]) & set(number[~is_cancel]))
    assert 0.008 <= is_cancel.groupby(lines["invoice_no"]).first().mean() <= 0.025


def test_dropout_is_visible(lines, truth):
    regular = lines[~lines["invoice_no"].str.startswith("C") & (lines["client_id"] != "")]
    at = pd.to_datetime(regular["invoice_date"], format=TIMESTAMP, errors="coerce")
    per = (
        regular.assign(at=at)
        .merge(truth, on="client_id")
        .groupby("entity_id")
        .agg(first=("at", "min"), last=("at", "max"), invoices=("invoice_no", "nunique"))
    )
    end = pd.Timestamp(config.WINDOW_END)
    repeat_and_old = per[(per["invoices"] >= 3) & (per["first"] < end - pd.Timedelta(days=365))]
    silent = repeat_and_old["last"] < end - pd.Timedelta(days=182)
    assert len(repeat_and_old) > 100
    assert 0.25 <= silent.mean() <= 0.9
    assert per["invoices"].std() > per["invoices"].mean() * 0.5  # heterogeneous purchase rates


def test_invoices_peak_in_the_fourth_quarter(lines):
    regular = lines[~lines["invoice_no"].str.startswith("C")].drop_duplicates("invoice_no")
    at = pd.to_datetime(regular["invoice_date"], format=TIMESTAMP, errors="coerce").dropna()
    by_quarter = at[at.dt.year == 2024].dt.quarter.value_counts()
    assert by_quarter.idxmax() == 4 or by_quarter[4] >= by_quarter.max() * 0.95


def test_companion_products_make_association_rules_learnable(lines, products, manifest):
    n_merch = manifest["arguments"]["products"]
    cat = build_catalogue(
        config.phase_rng(SEED, "products"), config.phase_rng(SEED, "product_defects"), n_merch
    )
    assert cat.codes[0] in set(products["stock_code"])
    baskets = lines[~lines["invoice_no"].str.startswith("C")].groupby("invoice_no")["stock_code"]
    invoice_sets = [set(codes) for _, codes in baskets]
    anchors = [(cat.codes[a], cat.codes[c]) for a, c in enumerate(cat.companion.tolist()) if c >= 0]
    confidences, base_rates = [], []
    for anchor, companion in anchors[:40]:
        with_anchor = [s for s in invoice_sets if anchor in s]
        if len(with_anchor) >= 20:
            confidences.append(np.mean([companion in s for s in with_anchor]))
            base_rates.append(np.mean([companion in s for s in invoice_sets]))
    assert len(confidences) >= 5
    assert np.mean(confidences) > 3 * np.mean(base_rates)


def test_thousands_of_same_named_companies_still_get_distinct_domains():
    """At a million clients many companies share a name; numbered domains widen until each has
    its own (2..99 alone runs out after a few hundred)."""
    from customer_analytics.generator.contacts import institution_emails

    count = 5_000
    emails = institution_emails(
        np.random.default_rng(7),
        ["Brenwick Logistics"] * count,
        np.zeros(count, dtype=np.int64),
        np.zeros(count, dtype=np.int64),
    )
    domains = {email.split("@")[1] for email in emails}
    assert len(domains) == count
