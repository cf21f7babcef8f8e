"""CSV and manifest writing: UTF-8, '\\n' line ends, RFC 4180 minimal quoting, fixed formats.

transactions.csv (up to ten million lines) is built a chunk at a time from integer columns and
per-product / per-invoice strings that are formatted and quoted once, then joined with numpy
object-array concatenation: no per-line Python formatting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from . import formatting
from .products import Catalogue
from .transactions import TRANSACTION_COLUMNS, Transactions

TRANSACTION_CHUNK = 1_000_000


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_field(value: str) -> str:
    """Quote a field only when it holds a delimiter, quote or line break (RFC 4180)."""
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(columns) + "\n")
        fh.writelines(",".join(map(csv_field, row)) + "\n" for row in rows)


def _quoted(values) -> np.ndarray:
    return np.array([csv_field(str(v)) for v in values], dtype=object)


class _LineText:
    """Pre-formatted pieces of a line: '<invoice_no>,' + '<code>,<description>,' +
    '<quantity>,<unit_price>,' + '<invoice_date>,<client_id>,<country>'.

    Three object-array concatenations per line instead of fifteen; lines with a defect override
    are rebuilt field by field, which is cheap because they are few.
    """

    def __init__(self, tx: Transactions, cat: Catalogue):
        self.tx = tx
        self.code, self.description = _quoted(cat.codes), _quoted(cat.descriptions)
        self.head = tx.invoice_no + ","
        self.product = self.code + "," + self.description + ","
        uniq, inverse = np.unique(tx.country.astype(str), return_inverse=True)
        self.country = _quoted(uniq)[inverse]
        self.tail = tx.invoice_date + "," + tx.client_id + "," + self.country
        self.overrides = {c: (pos, _quoted(texts)) for c, (pos, texts) in tx.overrides.items()}
        self.overridden = np.unique(
            np.concatenate(
                [pos for pos, _ in self.overrides.values()] + [np.zeros(0, dtype=np.int64)]
            )
        )

    def _fields(self, lines: np.ndarray) -> dict[str, np.ndarray]:
        inv, prod, tx = self.tx.lines.invoice[lines], self.tx.lines.product[lines], self.tx
        return {
            "invoice_no": tx.invoice_no[inv],
            "stock_code": self.code[prod],
            "description": self.description[prod],
            "quantity": formatting.integers(tx.lines.quantity[lines]),
            "unit_price": formatting.money(tx.lines.cents[lines]),
            "invoice_date": tx.invoice_date[inv],
            "client_id": tx.client_id[inv],
            "country": self.country[inv],
        }

    def _rebuilt(self, lines: np.ndarray) -> np.ndarray:
        fields = self._fields(lines)
        for column, (positions, texts) in self.overrides.items():
            hit = np.isin(positions, lines)
            fields[column][np.searchsorted(lines, positions[hit])] = texts[hit]
        text = fields[TRANSACTION_COLUMNS[0]]
        for name in TRANSACTION_COLUMNS[1:]:
            text = text + "," + fields[name]
        return text

    def chunk(self, start: int, end: int) -> str:
        lines = self.tx.lines
        inv = lines.invoice[start:end]
        amounts = (
            formatting.integers(lines.quantity[start:end])
            + ","
            + formatting.money(lines.cents[start:end])
            + ","
        )
        text = self.head[inv] + self.product[lines.product[start:end]] + amounts + self.tail[inv]
        lo, hi = np.searchsorted(self.overridden, [start, end])
        special = self.overridden[lo:hi]
        if special.size:
            text[special - start] = self._rebuilt(special)
        return "\n".join(text.tolist()) + "\n"


def transaction_chunks(tx: Transactions, cat: Catalogue, size: int = TRANSACTION_CHUNK):
    """Yield transactions.csv body text in chunks of `size` lines."""
    text = _LineText(tx, cat)
    for start in range(0, tx.lines.invoice.size, size):
        yield text.chunk(start, min(tx.lines.invoice.size, start + size))


def write_transactions(
    path: Path, tx: Transactions, cat: Catalogue, on_chunk: Callable[[], None]
) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(TRANSACTION_COLUMNS) + "\n")
        for chunk in transaction_chunks(tx, cat):
            fh.write(chunk)
            on_chunk()


def write_manifest(path: Path, manifest: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
