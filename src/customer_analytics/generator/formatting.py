"""Fixed text formats for the raw files, vectorised.

Byte-identical output for a given seed depends on formatting that never varies with locale or
float representation: money is written from integer cents, timestamps from integer seconds.
"""

from __future__ import annotations

import numpy as np


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS' for epoch seconds, as an object array of str."""
    text = np.datetime_as_string(np.asarray(seconds, dtype="datetime64[s]"), unit="s")
    text = np.ascontiguousarray(text.astype("<U19"))
    text.view(np.uint32).reshape(-1, 19)[:, 10] = ord(" ")  # ISO 'T' -> ' ', in place
    return text.astype(object)


def dates(seconds: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' for epoch seconds, as an object array of str."""
    days = np.asarray(seconds, dtype="datetime64[s]").astype("datetime64[D]")
    return np.datetime_as_string(days, unit="D").astype(object)


def _by_unique(values: np.ndarray, fmt) -> np.ndarray:
    """Format each distinct value once: columns repeat a few thousand values millions of times."""
    uniq, inverse = np.unique(np.asarray(values), return_inverse=True)
    return np.array([fmt(v) for v in uniq.tolist()], dtype=object)[inverse]


def _cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def money(cents: np.ndarray) -> np.ndarray:
    """Two-decimal amounts ('12.50', '-0.85') from integer cents."""
    return _by_unique(np.asarray(cents, dtype=np.int64), _cents_text)


def integers(values: np.ndarray) -> np.ndarray:
    return _by_unique(np.asarray(values, dtype=np.int64), str)


def to_cents(amounts: np.ndarray) -> np.ndarray:
    """Round amounts to whole cents, half away from zero, without float formatting surprises."""
    amounts = np.asarray(amounts, dtype=np.float64)
    return (np.sign(amounts) * np.floor(np.abs(amounts) * 100 + 0.5)).astype(np.int64)
