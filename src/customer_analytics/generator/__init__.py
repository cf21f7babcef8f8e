"""Deterministic raw-data generator for the customer-analytics warehouse.

generate() writes clients.csv, products.csv, transactions.csv, ground_truth.csv and manifest.json;
the manifest holds the true generating parameters and the exact count of every injected defect,
which later quality checks (dedupe F1, churn and CLV accuracy, cross-sell rules) are scored against.
"""

from .config import GENERATOR_VERSION
from .core import generate

__all__ = ["GENERATOR_VERSION", "generate"]
