"""generate(): every phase in order, then the files and the manifest.

Each phase draws from its own random stream (config.phase_rng), so a change inside one phase
leaves the output of the others untouched, and the same seed and arguments give the same bytes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from . import clients as clients_mod
from . import config, writer
from .entities import Entities, build_entities
from .products import PRODUCT_COLUMNS, Catalogue, build_catalogue
from .purchases import Purchases, simulate_purchases
from .transactions import Transactions, build_transactions, target_invoices

MIN_CLIENTS, MIN_TRANSACTIONS, MIN_PRODUCTS = 50, 1_000, 30
_BUILD_STEPS, _WRITE_STEPS = 5, 3  # progress steps besides one per transactions.csv chunk


def default_products(n_clients: int) -> int:
    return min(4000, max(100, n_clients // 5))


def _validate(clients: int, transactions: int, products: int) -> None:
    for name, value, low in (
        ("clients", clients, MIN_CLIENTS),
        ("transactions", transactions, MIN_TRANSACTIONS),
        ("products", products, MIN_PRODUCTS),
    ):
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")


@dataclass
class _Dataset:
    entities: Entities
    clients: clients_mod.Clients
    catalogue: Catalogue
    purchases: Purchases
    transactions: Transactions


def _build(seed: int, n_clients: int, n_lines: int, n_products: int, step) -> _Dataset:
    n_extra = sum(clients_mod.extra_row_counts(n_clients))
    ent = build_entities(config.phase_rng(seed, "entities"), n_clients - n_extra)
    step("client records")
    cl = clients_mod.build_clients(
        config.phase_rng(seed, "records"), config.phase_rng(seed, "client_defects"), ent, n_clients
    )
    step("products")
    cat = build_catalogue(
        config.phase_rng(seed, "products"), config.phase_rng(seed, "product_defects"), n_products
    )
    step("purchases")
    purchases = simulate_purchases(
        config.phase_rng(seed, "purchases"),
        ent.birth_s,
        ent.is_institution,
        target_invoices(n_lines),
    )
    step("invoice lines")
    tx = build_transactions(
        config.phase_rng(seed, "lines"),
        config.phase_rng(seed, "line_defects"),
        purchases,
        ent,
        cl,
        cat,
        n_lines,
    )
    step("clients.csv")
    return _Dataset(ent, cl, cat, purchases, tx)


def _write(out: Path, data: _Dataset, step: Callable[[str], None]) -> dict[str, int]:
    cl, cat, tx = data.clients, data.catalogue, data.transactions
    writer.write_csv(out / "clients.csv", clients_mod.CLIENT_COLUMNS, cl.rows)
    writer.write_csv(out / "ground_truth.csv", clients_mod.TRUTH_COLUMNS, cl.truth)
    step("products.csv")
    writer.write_csv(out / "products.csv", PRODUCT_COLUMNS, cat.rows)
    step("transactions.csv")
    writer.write_transactions(out / "transactions.csv", tx, cat, lambda: step("transactions.csv"))
    return {
        "clients.csv": len(cl.rows),
        "products.csv": len(cat.rows),
        "transactions.csv": int(tx.lines.invoice.size),
        "ground_truth.csv": len(cl.truth),
    }


def _manifest(args: dict, row_counts: dict, data: _Dataset) -> dict:
    ent, purchases = data.entities, data.purchases
    window = {"start": config.WINDOW_START, "end": config.WINDOW_END}
    params = purchases.true_parameters
    params["lambda_scale"] = round(params["lambda_scale"], 9)
    params["bgnbd"]["alpha_effective"] = round(params["bgnbd"]["alpha_effective"], 9)
    return {
        "generator_version": config.GENERATOR_VERSION,
        "seed": args["seed"],
        "arguments": args,
        "row_counts": row_counts,
        "observation_window": window,
        "entities": ent.size,
        "duplicate_entities": int((ent.n_records > 1).sum()),
        "hard_negative_entities": int((ent.namesake_of >= 0).sum()),
        "subsidiaries": data.clients.subsidiaries,
        "true_parameters": {**params, "observation_window": window},
        "simulation": {
            **data.transactions.summary,
            "alive_at_window_end_share": round(purchases.alive_at_end, 6),
        },
        "defects": {
            "clients": data.clients.defects,
            "products": data.catalogue.defects,
            "transactions": data.transactions.defects,
        },
        "configured_defect_rates": {
            "clients": config.CLIENT_DEFECT_RATES,
            "products": config.PRODUCT_DEFECT_RATES,
            "transactions": config.LINE_DEFECT_RATES,
        },
    }


def generate(
    out_dir,
    seed: int = 42,
    clients: int = 2000,
    transactions: int = 100_000,
    products: int | None = None,
    quiet: bool = True,
) -> dict:
    """Write clients, products, transactions, ground truth and manifest to out_dir.

    Returns the manifest. Same arguments, same bytes.
    """
    n_products = default_products(clients) if products is None else products
    _validate(clients, transactions, n_products)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    total = _BUILD_STEPS + _WRITE_STEPS + math.ceil(transactions / writer.TRANSACTION_CHUNK)
    with tqdm(total=total, disable=quiet, file=sys.stderr, unit="step", desc="ca-generate") as bar:

        def step(next_label: str) -> None:
            """One phase done; name the one now running."""
            bar.update()
            bar.set_postfix_str(next_label)

        bar.set_postfix_str("entities")
        data = _build(seed, clients, transactions, n_products, step)
        row_counts = _write(out, data, step)
        args = {"seed": seed, "clients": clients, "transactions": transactions}
        manifest = _manifest({**args, "products": n_products}, row_counts, data)
        writer.write_manifest(out / "manifest.json", manifest)
        step("done")
    return manifest
