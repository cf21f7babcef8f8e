"""Plots of the scoring models, drawn from a built warehouse, for the docs site.

    python -m customer_analytics.plots [--warehouse warehouse.duckdb] [--out assets/plots]

writes segment_scatter.png (clients on the first two principal components of their scaled
segmentation features, coloured by behaviour segment), clv_distribution.png (12-month CLV per
client, log scale, by behaviour segment) and churn_calibration.png (predicted vs observed churn
rate of the chosen churn model on its out-of-time validation window).
`make docs` runs it before `dbt docs generate`; the model descriptions show the images.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DPI = 110


def segment_scatter(segments: pd.DataFrame, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 5))
    for name, group in segments.groupby("segment_name"):
        axes.scatter(group["pca_1"], group["pca_2"], s=6, alpha=0.5, label=f"{name} ({len(group)})")
    axes.set(
        title="Behaviour segments (KMeans on value, breadth, basket, cancellation, time)",
        xlabel="principal component 1",
        ylabel="principal component 2",
    )
    axes.legend(markerscale=3, fontsize=8)
    _save(figure, path)


def clv_distribution(scores: pd.DataFrame, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 4.5))
    positive = scores[scores["clv_12m"] > 0]
    bins = np.logspace(np.log10(positive["clv_12m"].min()), np.log10(positive["clv_12m"].max()), 40)
    for name, group in positive.groupby("segment_name"):
        axes.hist(group["clv_12m"], bins=bins, alpha=0.6, label=name)
    axes.set_xscale("log")
    axes.set(
        title="12-month customer lifetime value (BG/NBD + Gamma-Gamma)",
        xlabel="CLV, 12 months (log scale)",
        ylabel="clients",
    )
    axes.legend(fontsize=8)
    _save(figure, path)


def churn_calibration(metrics: pd.DataFrame, path: Path) -> None:
    values = metrics.set_index("metric_name")["metric_value"]
    bins = sorted(
        {name.rsplit("_", 1)[0] for name in values.index if name.startswith("calibration_bin_")}
    )
    predicted = [values[f"{name}_predicted"] for name in bins]
    observed = [values[f"{name}_observed"] for name in bins]
    figure, axes = plt.subplots(figsize=(5.5, 5.5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    axes.plot(predicted, observed, marker="o", label="chosen churn model (validation window)")
    axes.set(
        title=f"Churn calibration (AUC {values.get('roc_auc', np.nan):.2f}, "
        f"Brier {values.get('brier_score', np.nan):.3f})",
        xlabel="mean predicted churn probability",
        ylabel="observed churn rate",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    axes.legend(loc="upper left", fontsize=8)
    _save(figure, path)


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def draw_all(warehouse: Path, out: Path) -> list[Path]:
    """Draw every plot from the warehouse into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        segments = connection.sql(
            "select client_key, segment_name, pca_1, pca_2 from stage.int_client_segments "
            "where row_type = 'client' and pca_1 is not null order by client_key"
        ).df()
        scores = connection.sql(
            "select client_key, segment_name, cast(clv_12m as double) as clv_12m "
            "from core.client_scores order by client_key"
        ).df()
        churn_metrics = connection.sql(
            "select metric_name, metric_value from core.model_metrics where model_name = 'churn'"
        ).df()
    paths = [
        out / "segment_scatter.png",
        out / "clv_distribution.png",
        out / "churn_calibration.png",
    ]
    segment_scatter(segments, paths[0])
    clv_distribution(scores, paths[1])
    churn_calibration(churn_metrics, paths[2])
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("warehouse.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("assets/plots"))
    args = parser.parse_args(argv)
    for path in draw_all(args.warehouse, args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
