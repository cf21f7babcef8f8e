"""The documented plot command draws its three PNGs from a built warehouse."""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT_ROOT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_command_writes_the_three_pngs(built_warehouse, tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "customer_analytics.plots",
            "--warehouse",
            str(built_warehouse),
            "--out",
            str(tmp_path),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for name in ("segment_scatter", "clv_distribution", "churn_calibration"):
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000, f"{name}.png looks empty"
