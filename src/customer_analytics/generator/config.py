"""Fixed knobs of the generator: window, population shares, defect rates, true parameters.

They live in one module because three readers must agree on them: the generator, the manifest (which
publishes them as the truth) and the tests (which check observed rates against them).
"""

from __future__ import annotations

import zlib

import numpy as np

GENERATOR_VERSION = "1.0.0"

WINDOW_START = "2023-01-01 00:00:00"
WINDOW_END = "2025-12-31 23:59:59"
DAY_S = 86_400
WEEK_S = 7 * DAY_S
WINDOW_START_S = int(np.datetime64("2023-01-01T00:00:00", "s").astype(np.int64))
WINDOW_END_S = int(np.datetime64("2025-12-31T23:59:59", "s").astype(np.int64))

# Real-world entities and their source records.
INSTITUTION_SHARE = 0.60
DUPLICATED_ENTITY_SHARE = 0.10
RECORDS_PER_DUPLICATED_ENTITY = (2, 3, 4)
RECORDS_PER_DUPLICATED_ENTITY_WEIGHTS = (0.6, 0.3, 0.1)
SOURCE_SYSTEMS = ("salesforce", "hubspot", "dynamics", "legacy_erp")
SOURCE_SYSTEM_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
SOURCE_SYSTEM_PREFIXES = ("SF", "HS", "D365", "ERP")
SUBSIDIARY_SHARE = 0.15
NAMESAKE_SHARE = 0.005
PARENT_CYCLE_SHARE = 0.0005

# Defect rates. Clients: relative to the client records (dob: individual records, revenue:
# institution records). Products: relative to the products. Lines: relative to all lines.
CLIENT_DEFECT_RATES = {
    "missing_client_name": 0.002,
    "invalid_date_of_birth": 0.002,
    "invalid_annual_revenue": 0.002,
    "invalid_client_type": 0.001,
    "exact_duplicate_rows": 0.003,
    "conflicting_client_id": 0.001,
}
PRODUCT_DEFECT_RATES = {
    "exact_duplicate_rows": 0.01,
    "invalid_unit_price": 0.01,
    "non_positive_unit_price": 0.01,
    "invalid_launch_date": 0.005,
    "conflicting_stock_code": 0.005,
    "messy_description": 0.05,
    "question_mark_description": 0.01,
}
LINE_DEFECT_RATES = {
    "missing_client_id": 0.03,
    "exact_duplicate_rows": 0.01,
    "non_positive_unit_price": 0.003,
    "invalid_invoice_date": 0.001,
    "invalid_quantity": 0.001,
    "invalid_unit_price": 0.001,
    "non_product_lines": 0.005,
    "unknown_stock_code": 0.001,
    "messy_description": 0.02,
    "question_mark_description": 0.002,
    "negative_quantity_without_cancellation": 0.0005,
}
CANCELLED_INVOICE_SHARE = 0.015

# Purchase process (BG/NBD, Fader, Hardie & Lee 2005) and spend (Gamma-Gamma, Fader & Hardie).
# alpha is in weeks; the generator multiplies every rate by a scale solved from the line budget.
BGNBD = {"r": 0.9, "alpha": 6.0, "a": 1.5, "b": 8.0}
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 45.0}
INSTITUTION_SPEND_MULTIPLIER = 3.0
MEAN_BASKET_LINES = 8.0
SEASONALITY_AMPLITUDE = 0.35
SEASONALITY_PEAK_DAY_OF_YEAR = 330
FAVOURITE_CATEGORY_SHARE = 0.6
COMPANION_PRODUCT_SHARE = 0.3
COMPANION_FOLLOW_PROBABILITY = 0.35

FIRST_INVOICE_NUMBER = 500_000


def defect_count(rate: float, base: int) -> int:
    """Number of rows to corrupt: at least one whenever the defect applies, so samples show it."""
    if rate <= 0 or base <= 0:
        return 0
    return max(1, int(rate * base + 0.5))


def phase_rng(seed: int, phase: str) -> np.random.Generator:
    """An independent generator per phase, keyed by the phase name.

    This is SeedSequence.spawn with a stable key instead of a position, so adding or changing one
    phase never reshuffles the random streams of the others.
    """
    key = zlib.crc32(phase.encode("ascii"))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
