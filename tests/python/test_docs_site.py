"""The generated docs site, opened in headless Chromium, draws the lineage of v_client_360.

The site is served on localhost as `dbt docs serve` would; a copy of its index.html gets a small
probe script that reads the rendered lineage graph (cytoscape) back into the page, which
Chromium's --dump-dom then prints.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
    "--dump-dom",
]
PROBE = """<script>
setInterval(function () {
  var element = document.getElementById('cy');
  if (!element || !element._cyreg || !element._cyreg.cy) return;
  var cy = element._cyreg.cy;
  var out = document.getElementById('lineage-probe');
  if (!out) {
    out = document.body.appendChild(document.createElement('pre'));
    out.id = 'lineage-probe';
  }
  out.textContent = JSON.stringify({
    nodes: cy.nodes().map(function (n) { return {id: n.id(), width: n.renderedBoundingBox().w}; }),
    edges: cy.edges().map(function (e) { return [e.source().id(), e.target().id()]; })
  });
}, 500);
</script></body>"""


@pytest.fixture(scope="module")
def served(docs_site):
    site = docs_site.target
    index = (site / "index.html").read_text()
    (site / "probe.html").write_text(index.replace("</body>", PROBE))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_lineage_of_client_360_renders_in_chromium(served, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium"
    page = f"{served}/probe.html#!/model/model.customer_analytics.v_client_360"
    completed = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", page],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    found = re.search(r'<pre id="lineage-probe">([^<]*)</pre>', completed.stdout)
    assert found, "the docs page never rendered its lineage graph"
    graph = json.loads(html.unescape(found.group(1)))
    widths = {node["id"]: node["width"] for node in graph["nodes"]}
    edges = {tuple(edge) for edge in graph["edges"]}
    client_360 = "model.customer_analytics.v_client_360"
    assert widths.get(client_360, 0) > 0, "v_client_360 is not drawn"
    for parent in ("client_scores", "client_features", "client_dim", "client_recommendations"):
        assert (f"model.customer_analytics.{parent}", client_360) in edges, parent
    assert (client_360, "exposure.customer_analytics.client_360_dashboard") in edges
