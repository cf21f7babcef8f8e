"""Command line: ca-generate / python -m customer_analytics.generator."""

from __future__ import annotations

import argparse
import sys

from .core import generate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ca-generate",
        description="Write a deterministic raw customer-analytics data set (clients, products, "
        "transactions, ground truth, manifest).",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--clients",
        type=int,
        default=2000,
        help="client records to write, defects included (default 2000)",
    )
    parser.add_argument(
        "--transactions",
        type=int,
        default=100_000,
        help="invoice lines to write, defects included (default 100000)",
    )
    parser.add_argument(
        "--products",
        type=int,
        default=None,
        help="merchandise products (default clamp(clients // 5, 100, 4000)); "
        "the non-product codes come on top",
    )
    parser.add_argument("--out", default="data/raw", help="output directory (default data/raw)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        manifest = generate(
            args.out,
            seed=args.seed,
            clients=args.clients,
            transactions=args.transactions,
            products=args.products,
            quiet=args.quiet,
        )
    except ValueError as exc:
        print(f"ca-generate: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        counts = ", ".join(f"{k} {v}" for k, v in manifest["row_counts"].items())
        print(f"ca-generate: wrote {args.out}: {counts}", file=sys.stderr)
    return 0
