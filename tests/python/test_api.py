"""The HTTP API (customer_analytics.api) against a real server: uvicorn in a child process on a
loopback port, over the sample build published into a temp dir, called with httpx.

Every answer is compared with what the analytics views return to the same principal (read here
with DuckDB and the session variables), so the API must apply exactly the views' row filter and
masking. Also: search finds the golden client of known duplicate records, every bad input is a
clear JSON error, a missing or unreadable published file is a 503, and a publish while requests
run switches the server to the new state with no failed request.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx
import numpy as np
import pytest
import uvloop
from conftest import load_python_file
from fastapi import FastAPI
from pydantic import TypeAdapter
from rapidfuzz import fuzz, process

from customer_analytics.api import models, search
from customer_analytics.api.app import create_app
from customer_analytics.api.cli import server_process
from customer_analytics.api.duckdb_reader import PublishedDuckDB, read_snapshot
from customer_analytics.api.keys import KeyStore, Principal, key_digest
from customer_analytics.api.search import (
    FIELDS,
    MIN_SCORE,
    SearchIndex,
    compact,
    normalise,
    trigrams,
)
from customer_analytics.publish import publish_file

UK, WESTERN_EUROPE = "UK & Ireland", "Western Europe"
EUROPE = {WESTERN_EUROPE, "Northern Europe", "Southern Europe", "Central & Eastern Europe"}
MASKED = "***MASKED***"
# Who calls: (role, user) of each test key.
PRINCIPALS = {
    "crm": ("CRM_ANALYST", "CRM_APP"),
    "engineer": ("DATA_ENGINEER", ""),
    "uk": ("SALES_LEADERSHIP", "LEAD_UK"),
    "europe": ("SALES_LEADERSHIP", "LEAD_EUROPE"),
    "intern": ("INTERN", "SOMEONE"),
    "unentitled": ("SALES_LEADERSHIP", "NOBODY"),
    "no_user": ("SALES_LEADERSHIP", ""),
}
START_TIMEOUT_S = 60


@dataclass
class Api:
    url: str
    published: Path
    log: Path
    keys: dict[str, str]
    # One client for every request: a new httpx client per request costs milliseconds.
    http: httpx.Client

    def get(self, path: str, who: str | None = "crm", **params) -> httpx.Response:
        headers = {"X-API-Key": self.keys[who]} if who else {}
        return self.http.get(self.url + path, params=params, headers=headers)

    def ok(self, path: str, who: str = "crm", **params) -> dict:
        response = self.get(path, who, **params)
        assert response.status_code == 200, (path, who, response.text)
        return response.json()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def api(built_warehouse, tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    published = root / "published" / "warehouse.duckdb"
    publish_file(built_warehouse, published)
    keys = {who: f"test-key-{who}-{os.urandom(8).hex()}" for who in PRINCIPALS}
    key_file = root / "keys.json"
    key_file.write_text(
        json.dumps(
            {
                key_digest(keys[who]): {"role": role, "user": user}
                for who, (role, user) in PRINCIPALS.items()
            }
        )
    )
    port = free_port()
    log = root / "server.log"
    with server_process(published, key_file, port, log) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log)
        with httpx.Client(timeout=30) as http:
            yield Api(url, published, log, keys, http)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def view_rows(published: Path, who: str, sql: str, params: list | None = None) -> list[dict]:
    """What the analytics views return to the principal of `who`."""
    role, user = PRINCIPALS[who]
    with duckdb.connect(str(published), read_only=True) as connection:
        connection.execute("set variable analytics_role = ?", [role])
        connection.execute("set variable analytics_user = ?", [user])
        cursor = connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_json(value):
    """A view value as the API writes it in JSON."""
    if isinstance(value, Decimal):
        return pytest.approx(float(value), abs=0.005)
    if isinstance(value, float):
        return pytest.approx(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def first_client(api: Api, region: str) -> dict:
    """A client of `region` with recommendations and an email, as CRM_ANALYST sees it."""
    return view_rows(
        api.published,
        "crm",
        "select * from analytics.v_client_360 where region = ? and email is not null"
        " and recommended_products is not null order by client_key limit 1",
        [region],
    )[0]


def test_health_reports_the_publish_time_and_with_a_key_the_as_of_date(api):
    anonymous = api.ok("/health", who=None)
    published_at = dt.datetime.fromtimestamp(api.published.stat().st_mtime, dt.UTC)
    assert anonymous["status"] == "ok" and anonymous["backend"] == "duckdb"
    assert dt.datetime.fromisoformat(anonymous["published_at"]) == published_at
    assert anonymous["as_of_date"] is None
    (latest,) = view_rows(
        api.published, "uk", "select max(as_of_date) as as_of from analytics.v_segment_summary"
    )
    assert api.ok("/health", who="uk")["as_of_date"] == latest["as_of"].isoformat()


@pytest.mark.parametrize("who", ["crm", "engineer"])
def test_a_profile_is_the_views_rows_unmasked_for_roles_that_see_everything(api, who):
    client = first_client(api, UK)
    key = client["client_key"]
    profile = api.ok(f"/clients/{key}", who=who)

    assert profile["client_key"] == key and profile["client_name"] == client["client_name"]
    assert profile["contact"] == {
        name: as_json(client[name]) for name in ("email", "phone", "tax_id", "date_of_birth")
    }
    assert profile["contact"]["email"] not in (None, MASKED)
    assert profile["location"]["postcode"] == client["postcode"]
    assert profile["scores"]["clv_12m"] == as_json(client["clv_12m"])
    assert profile["scores"]["segment_name"] == client["segment_name"]
    assert profile["territory"]["territory_key"] == client["territory_key"]
    assert profile["advisor"]["advisor_key"] == client["advisor_key"]
    offers = view_rows(
        api.published,
        who,
        "select * from analytics.v_client_recommendations where client_key = ?"
        " order by recommendation_rank",
        [key],
    )
    assert [(o["rank"], o["product_key"], o["because_of"]["product_key"])
            for o in profile["recommendations"]] == [
        (o["recommendation_rank"], o["product_key"], o["because_of_product_key"]) for o in offers
    ]  # fmt: skip
    assert (
        ", ".join(o["product_key"] for o in profile["recommendations"])
        == (client["recommended_products"])
    )
    owned = view_rows(
        api.published,
        who,
        "select product_key from analytics.v_client_products where client_key = ?"
        " order by net_value desc nulls last, product_key",
        [key],
    )
    assert profile["products_bought"] == len(owned)
    assert [p["product_key"] for p in profile["top_products"]] == [
        p["product_key"] for p in owned[:10]
    ]


def model_path_bodies(published: Path, who: str, keys: list[str]) -> dict[str, bytes]:
    """What FastAPI itself writes for these profiles when the endpoint returns the profile dict
    and FastAPI validates and serialises it for response_model=ClientProfile (how the endpoint
    worked before it returned pre-serialised bytes)."""
    snapshot = read_snapshot(published, Principal(*PRINCIPALS[who]))
    app = FastAPI()

    @app.get("/clients/{client_key}", response_model=models.ClientProfile)
    async def profile(client_key: str):
        return models.client_profile(snapshot.profile(client_key))

    async def ask() -> dict[str, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return {key: (await client.get(f"/clients/{key}")).content for key in keys}

    return uvloop.run(ask())


@pytest.mark.parametrize("who", ["crm", "uk"])
def test_a_profile_body_is_the_bytes_fastapi_writes_for_the_response_model(api, who):
    """Byte for byte, asked once (serialised) and again (from the snapshot's cache), for
    clients with and without advisor, assignment, recommendations and products."""
    clients = view_rows(
        api.published,
        who,
        "select client_key, advisor_key, recommended_products from analytics.v_client_360"
        " order by client_key",
    )
    keys = [c["client_key"] for c in clients[:: max(len(clients) // 40, 1)]]
    keys += [c["client_key"] for c in clients if c["advisor_key"] is None][:3]
    keys += [c["client_key"] for c in clients if c["recommended_products"] is None][:3]
    expected = model_path_bodies(api.published, who, keys)
    for key in keys:
        first, again = api.get(f"/clients/{key}", who), api.get(f"/clients/{key}", who)
        assert first.status_code == again.status_code == 200, first.text
        assert first.headers["content-type"] == "application/json"
        assert first.content == again.content == expected[key], key
        assert first.headers["x-published-at"] and first.headers["x-as-of-date"]


@pytest.mark.parametrize("who", ["crm", "uk"])
def test_a_search_body_is_the_bytes_of_the_response_model(api, who):
    """Snapshot.search_json joins a page's body from each row's JSON, made once per snapshot:
    for names, emails, postcodes and odd text, as either principal sees them (masked emails),
    it must be the bytes pydantic writes for the same page validated as SearchPage, as FastAPI
    does for the endpoint's response model (the search shortcut test compares with FastAPI's
    own path)."""
    adapter = TypeAdapter(models.SearchPage)
    snapshot = read_snapshot(api.published, Principal(*PRINCIPALS[who]))
    rows = snapshot.profiles.select(["client_name", "email", "postcode"]).to_pylist()
    queries = ['"quoted" \\ back', "tab\tnew\nline", "Zoë Ünal", "\u2028 smith", "a" * 200]
    for row in rows[:: max(len(rows) // 40, 1)]:
        queries += [value for value in row.values() if value]
    for number, query in enumerate(queries):
        page, size = (1, 20) if number % 2 else (2, 3)
        total, results = snapshot.search(query, (page - 1) * size, size)
        page_model = adapter.validate_python(
            models.search_page(query, total, page, size, results), from_attributes=True
        )
        expected = adapter.dump_json(page_model, by_alias=True)
        assert snapshot.search_json(query, page, size) == expected, query
    assert len(queries) > 60


def test_cached_profile_bodies_are_one_principals_bounded_and_rebuilt_equal(api):
    """The cache lives in a snapshot, which is one principal's view of one publish: a body is
    never another principal's (nor, with a new snapshot per publish, another publish's: the
    publish test below asks profiles before and after)."""
    key = first_client(api, UK)["client_key"]
    crm = read_snapshot(api.published, Principal(*PRINCIPALS["crm"]), profile_cache=2)
    uk = read_snapshot(api.published, Principal(*PRINCIPALS["uk"]), profile_cache=2)
    crm_body, uk_body = crm.profile_json(key), uk.profile_json(key)
    assert json.loads(uk_body)["contact"]["email"] == MASKED
    assert json.loads(crm_body)["contact"]["email"] not in (MASKED, None)
    assert crm.profile_json(key) is crm_body  # the cached bytes

    others = [k for k in crm.profiles["client_key"].to_pylist() if k != key][:3]
    for other in others:
        crm.profile_json(other)
    assert list(crm.profile_bodies) == others[-2:]  # bounded: the oldest went first
    assert crm.profile_json(key) == crm_body  # built again, the same bytes

    european = first_client(api, WESTERN_EUROPE)["client_key"]
    assert uk.profile_json(european) is None and european not in uk.profile_bodies
    uncached = read_snapshot(api.published, Principal(*PRINCIPALS["crm"]), profile_cache=0)
    assert uncached.profile_json(key) == crm_body and not uncached.profile_bodies


def shortcut_answers(api, requests: list, heads: list = ()) -> tuple[list, list, list]:
    """(the answers of the app without its shortcuts, those with them, the paths of the requests
    that reached the router with them) to GET `requests` and HEAD `heads`, each a (path,
    headers) pair, for the keys of crm, uk and intern."""
    keys = {digest: Principal(*PRINCIPALS[who]) for who, digest in
            ((who, key_digest(api.keys[who])) for who in ("crm", "uk", "intern"))}  # fmt: skip
    store = KeyStore(keys)
    reached: list[str] = []

    async def answers(app) -> list[tuple]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            found = []
            for method, pairs in (("GET", requests), ("HEAD", heads)):
                for path, headers in pairs:
                    response = await client.request(method, path, headers=headers)
                    found.append((path, response.status_code, response.headers.multi_items(),
                                  response.content))  # fmt: skip
            return found

    def fresh(shortcuts: bool):
        app = create_app(PublishedDuckDB(api.published), store, shortcuts=shortcuts)
        router = app.router

        async def record(scope, receive, send):
            reached.append(scope["raw_path"].decode() + "?" + scope["query_string"].decode())
            await router(scope, receive, send)

        app.router = record  # the app's own routes, counted
        return app

    plain = uvloop.run(answers(fresh(shortcuts=False)))
    reached.clear()
    return plain, uvloop.run(answers(fresh(shortcuts=True))), reached


def test_the_cached_profile_shortcut_answers_as_the_app_does(api):
    """CachedProfiles answers plain profile lookups before FastAPI: for those and for every
    request it must leave to the app (errors, encodings, query strings, other routes), the
    status, headers and body equal those of the app without it."""
    uk, european = (
        first_client(api, UK)["client_key"],
        first_client(api, WESTERN_EUROPE)["client_key"],
    )
    crm, lead, intern = api.keys["crm"], api.keys["uk"], api.keys["intern"]
    requests = [
        # (path, headers)
        (f"/clients/{uk}", [("x-api-key", crm)]),
        (f"/clients/{uk}", [("x-api-key", lead)]),
        (f"/clients/{european}", [("x-api-key", lead)]),  # not the lead's region: 404
        (f"/clients/{uk}", [("x-api-key", intern)]),  # the views refuse the role: 403
        (f"/clients/{uk}", []),
        (f"/clients/{uk}", [("x-api-key", "")]),
        (f"/clients/{uk}", [("x-api-key", "forged")]),
        (f"/clients/{uk}", [("x-api-key", "forged"), ("x-api-key", crm)]),
        (f"/clients/{uk}", [("x-api-key", crm), ("x-api-key", "forged")]),
        (f"/clients/{uk}?page=2", [("x-api-key", crm)]),
        (f"/clients/{uk}/", [("x-api-key", crm)]),
        ("/clients/%30%30%30", [("x-api-key", crm)]),
        ("/clients/" + "k" * 201, [("x-api-key", crm)]),
        ("/clients/" + "k" * 200, [("x-api-key", crm)]),
        ("/clients/search", [("x-api-key", crm)]),
        ("/clients/at-risk", [("x-api-key", lead)]),
        ("/clients/top-value", [("x-api-key", crm)]),
        ("/clients/", [("x-api-key", crm)]),
    ]
    plain, shortcut, reached = shortcut_answers(
        api, requests, heads=[(f"/clients/{uk}", [("x-api-key", crm)])]
    )
    assert shortcut == plain
    assert [status for _, status, _, _ in plain[:4]] == [200, 200, 404, 403]
    # Of the 9 GETs of the UK client (one with a query string) and the HEAD, the 3 that answer
    # 200 without a query string (the CRM key, the UK lead's, the CRM key first of two) never
    # reached the router; the other 7 did.
    assert sum(path.startswith(f"/clients/{uk}?") for path in reached) == 7, reached


def test_the_search_shortcut_answers_as_the_app_does(api):
    """FastSearch answers plain searches before FastAPI, with the body FastAPI would write: for
    those and for every request it must leave to the app (errors, repeated or unknown or
    oddly written parameters, encodings, other principals), status, headers and body equal
    those of the app without it; only the plain 200 searches skip the router."""
    client = first_client(api, UK)
    name = client["client_name"]
    crm, lead, intern = api.keys["crm"], api.keys["uk"], api.keys["intern"]
    fast = [
        f"q={name}",
        f"q={name}&page=2&page_size=3",
        f"page_size=100&page=100&q={name}",
        f"q={client['email']}",
        "q=J%C3%A9r%C3%B4me+Dubois&page_size=5",
        "q=" + "a" * 200,
        "q=%2Bsmith%26page%3D2",  # '+smith&page=2' is the query
    ]
    slow = [
        "",
        "q=",
        "q=%20;--",
        "q=" + "a" * 201,
        "q=smith&page=0",
        "q=smith&page=101",
        "q=smith&page_size=0",
        "q=smith&page_size=101",
        "q=smith&page=01",
        "q=smith&page=%2B2",
        "q=smith&page=2.0",
        "q=smith&page_size=abc",
        "q=smith&q=jones",
        "q=smith&page=1&page=2",
        "q=smith&other=1",
        "q=%FF%FEsmith",
        "q",
    ]
    requests = [(f"/clients/search?{query}", [("x-api-key", crm)]) for query in fast + slow]
    requests += [
        (f"/clients/search?q={name}", [("x-api-key", lead)]),  # fast: the lead's view
        (f"/clients/search?q={client['email']}", [("x-api-key", lead)]),  # fast
        (f"/clients/search?q={name}", [("x-api-key", crm), ("x-api-key", "forged")]),  # fast
        (f"/clients/search?q={name}", [("x-api-key", intern)]),  # 403
        (f"/clients/search?q={name}", []),  # 401
        (f"/clients/search?q={name}", [("x-api-key", "forged"), ("x-api-key", crm)]),  # 401
        (f"/clients/%73earch?q={name}", [("x-api-key", crm)]),
        (f"/clients/search/?q={name}", [("x-api-key", crm)]),
    ]
    plain, shortcut, reached = shortcut_answers(
        api, requests, heads=[(f"/clients/search?q={name}", [("x-api-key", crm)])]
    )
    assert shortcut == plain
    statuses = [status for _, status, _, _ in plain]
    assert statuses[: len(fast)] == [200] * len(fast)
    assert statuses[len(fast) : len(fast) + 8] == [422] * 8
    assert statuses[-9:-3] == [200, 200, 200, 403, 401, 401]
    # Lead and CRM see different things for the same query (masked emails, regions).
    assert plain[len(fast + slow)][3] != plain[0][3]
    assert json.loads(plain[1][3])["results"] == json.loads(plain[0][3])["results"][3:6]
    # The fast searches (and the lead's two, and the CRM key first of two) never reached the
    # router, nor did the one that is not UTF-8 (RequireUtf8 answers it); every other did.
    assert len(reached) == len(requests) + 1 - len(fast) - 3 - 1, reached


def test_sales_leadership_gets_its_regions_only_with_pii_masked(api):
    uk_client, european = first_client(api, UK), first_client(api, WESTERN_EUROPE)
    full = api.ok(f"/clients/{uk_client['client_key']}", who="crm")
    masked = api.ok(f"/clients/{uk_client['client_key']}", who="uk")

    assert masked["contact"] == {
        "email": MASKED, "phone": MASKED, "tax_id": MASKED, "date_of_birth": None
    }  # fmt: skip
    assert masked["advisor"]["advisor_email"] in (MASKED, None)
    assert full["advisor"]["advisor_email"] not in (MASKED, None)
    assert {k: v for k, v in masked.items() if k not in ("contact", "advisor")} == {
        k: v for k, v in full.items() if k not in ("contact", "advisor")
    }
    assert api.get(f"/clients/{european['client_key']}", who="uk").status_code == 404
    assert api.get(f"/clients/{uk_client['client_key']}", who="europe").status_code == 404
    assert api.ok(f"/clients/{european['client_key']}", who="europe")["contact"]["email"] == MASKED


@pytest.mark.parametrize("who, regions", [("crm", None), ("uk", {UK}), ("europe", EUROPE)])
def test_at_risk_and_top_value_are_the_views_order_within_the_principals_regions(api, who, regions):
    at_risk = api.ok("/clients/at-risk", who=who, limit=1000)
    expected = view_rows(
        api.published,
        who,
        "select client_key, region, email from analytics.v_retention_priorities"
        " order by priority_rank",
    )
    assert [c["client_key"] for c in at_risk["clients"]] == [c["client_key"] for c in expected]
    assert at_risk["count"] == len(expected) > 0
    assert [c["email"] for c in at_risk["clients"]] == [c["email"] for c in expected]
    short = api.ok("/clients/at-risk", who=who, limit=3)["clients"]
    assert [c["client_key"] for c in short] == [c["client_key"] for c in expected[:3]]

    top = api.ok("/clients/top-value", who=who, limit=25)["clients"]
    best = view_rows(
        api.published,
        who,
        "select client_key from analytics.v_client_360"
        " order by clv_12m desc nulls last, client_key limit 25",
    )
    assert [c["client_key"] for c in top] == [c["client_key"] for c in best]
    if regions is not None:
        assert {c["region"] for c in at_risk["clients"] + top} <= regions
        assert {c["email"] for c in at_risk["clients"]} == {MASKED}
    else:
        assert len({c["region"] for c in at_risk["clients"]}) > 1


@pytest.mark.parametrize("who", ["crm", "uk"])
def test_segments_and_business_metrics_are_the_views(api, who):
    segments = api.ok("/segments", who=who)
    expected = view_rows(api.published, who, "select * from analytics.v_segment_summary")
    assert sorted((s["segment_id"], s["segment_name"], s["clients"])
                  for s in segments["segments"]) == sorted(
        (s["segment_id"], s["segment_name"], s["clients"]) for s in expected
    )  # fmt: skip
    assert segments["as_of_date"] == expected[0]["as_of_date"].isoformat()

    months = api.ok("/metrics/monthly", who=who)["months"]
    metrics = view_rows(
        api.published, who, "select * from analytics.v_business_metrics order by month_start"
    )
    assert [m["month_start"] for m in months] == [m["month_start"].isoformat() for m in metrics]
    assert [m["net_revenue"] for m in months] == [as_json(m["net_revenue"]) for m in metrics]

    health = api.ok("/metrics/health", who=who)
    scored = [m for m in metrics if m["health_score"] is not None]
    assert health["month_start"] == scored[-1]["month_start"].isoformat()
    assert health["health_score"] == as_json(scored[-1]["health_score"])
    assert len(health["last_12_months"]) == min(12, len(scored))


def test_search_finds_the_golden_client_of_known_duplicate_records(api):
    """Source records the dedupe merged into one golden client, spelt differently from it:
    searching a record's name, email or postcode finds its golden client among the first 5."""
    records = view_rows(
        api.published,
        "engineer",
        "select xref.client_key, record.client_name, record.email, record.postcode"
        " from core.client_xref as xref"
        " inner join stage.stg_crm__clients as record on record.client_id = xref.source_client_id"
        " inner join core.client_dim as golden on golden.client_key = xref.client_key"
        " where xref.cluster_size > 1 and record.client_name <> golden.client_name"
        " order by xref.source_client_id",
    )
    assert len(records) > 50
    for field, at_least in (("client_name", 0.98), ("email", 0.95), ("postcode", 0.95)):
        queried = [record for record in records if record[field]]
        found = 0
        for record in queried:
            results = api.ok("/clients/search", q=record[field], page_size=5)["results"]
            found += record["client_key"] in [result["client_key"] for result in results]
        assert found / len(queried) >= at_least, (field, found, len(queried))


def test_search_is_ranked_paged_and_sees_only_what_the_principal_sees(api):
    client = first_client(api, UK)
    first = api.ok("/clients/search", q=client["client_name"], page_size=5)
    assert first["results"][0]["client_key"] == client["client_key"]
    assert first["results"][0]["score"] == 100
    scores = [result["score"] for result in first["results"]]
    assert scores == sorted(scores, reverse=True)
    second = api.ok("/clients/search", q=client["client_name"], page_size=5, page=2)
    assert second["total"] == first["total"] > 5
    assert not {r["client_key"] for r in first["results"]} & {
        r["client_key"] for r in second["results"]
    }

    by_email = api.ok("/clients/search", who="crm", q=client["email"])["results"][0]
    assert (by_email["client_key"], by_email["matched_on"]) == (client["client_key"], "email")
    # The UK lead may see the client but not its email: the email finds nothing by email.
    masked = api.ok("/clients/search", who="uk", q=client["email"])["results"]
    assert all(r["matched_on"] != "email" and r["email"] == MASKED for r in masked)

    european = first_client(api, WESTERN_EUROPE)
    seen_by_uk = api.ok("/clients/search", who="uk", q=european["client_name"])["results"]
    assert european["client_key"] not in {r["client_key"] for r in seen_by_uk}
    assert {r["region"] for r in seen_by_uk} <= {UK}


def reference_search(index, query: str) -> list[tuple[int, float, str]]:
    """The ranking without rapidfuzz's early cutoff: every candidate's every field scored in
    full, then those at MIN_SCORE or more, best first, ties in corpus order."""
    text = normalise(query)
    rows = index.candidates(trigrams(text) | trigrams(compact(text)))
    if not len(rows):
        return []
    fields = [
        (text, index.names, fuzz.WRatio),
        (text, index.emails, fuzz.WRatio),
        (compact(text), index.postcodes, fuzz.ratio),
    ]
    scores = np.vstack(
        [
            process.cdist([q], list(values[rows]), scorer=scorer, dtype=np.float32)[0]
            for q, values, scorer in fields
        ]
    )
    best, best_field = scores.max(axis=0), scores.argmax(axis=0)
    ranked = sorted((-float(best[i]), int(rows[i]), i) for i in range(len(rows)))
    return [
        (row, round(-score, 1), FIELDS[best_field[i]])
        for score, row, i in ranked
        if -score >= MIN_SCORE
    ]


def test_search_ranks_as_full_scoring_would_and_pages_that_ranking(api):
    snapshot = read_snapshot(api.published, Principal(*PRINCIPALS["crm"]))
    rows = snapshot.profiles.select(["client_name", "email", "postcode"]).to_pylist()
    queries = ["smith", "son", "a", "london", "gmail.com"]
    for row in rows[:: max(len(rows) // 60, 1)]:
        name = row["client_name"] or ""
        queries += [name, name[:-2], name[1:], row["email"] or "", row["postcode"] or ""]
    for query in filter(None, queries):
        total, hits = snapshot.index.search(query)
        expected = reference_search(snapshot.index, query)
        assert [(hit.row, hit.score, hit.matched_on) for hit in hits] == expected, query
        assert total == len(expected)
        assert snapshot.index.search(query, 3, 4) == (total, hits[3:7])


def test_search_candidates_are_those_close_to_the_best_ties_in_corpus_order(monkeypatch):
    """The candidate step on a made-up corpus: clients sharing as much of the query as the best
    one are all candidates, up to CANDIDATES, ties in corpus order; a query one client matches
    far better than any other still gets the MIN_CANDIDATES heaviest; and with a postings budget
    of 1, only the query's rarest trigrams are looked up."""
    names = ["anna smith"] * 300 + ["zebedee quixote"] + [f"zebedee jones {i}" for i in range(40)]
    names += [f"client {i} smithson" for i in range(500)]
    index = SearchIndex(names, [None] * len(names), [""] * len(names))

    def candidates(query: str) -> list[int]:
        text = normalise(query)
        return index.candidates(trigrams(text) | trigrams(compact(text))).tolist()

    assert candidates("anna smith") == list(range(search.CANDIDATES))
    # Far ahead of the 40 other Zebedees, which share a third of its trigrams and tie.
    joneses = list(range(301, 341))
    assert candidates("zebedee quixote") == [300] + joneses[: search.MIN_CANDIDATES - 1]
    monkeypatch.setattr(search, "POSTINGS_BUDGET", 1)
    assert candidates("zebedee quixote") == [300]  # its 3 rarest trigrams are its own


def test_the_search_quality_benchmark_reads_the_rank_of_the_original():
    """bench/search_quality.py on made-up FEBRL-like records (no download): a duplicate's
    original is found by id, recall and MRR are read from its rank, and the exact-name baseline
    finds only duplicates spelt like their original."""
    quality = load_python_file("bench/search_quality.py")
    assert quality.original_id("rec-552-dup-3") == quality.original_id("rec-552-org") == "rec-552"
    assert quality.measure([[5, 7], [1, 2, 3], [], [8]], [7, 3, 9, 8]) == {
        "queries": 4, "recall_at_1": 0.25, "recall_at_10": 0.75, "mrr": round(11 / 6 / 4, 4)
    }  # fmt: skip
    people = [("anna", "smith", "2000"), ("john", "brown", "3000"), ("mary", "jones", "4000")]
    originals = [
        {"rec_id": f"rec-{i}-org", "given_name": given, "surname": surname, "postcode": postcode}
        for i, (given, surname, postcode) in enumerate(people)
    ]
    duplicates = [{**original, "rec_id": f"rec-{i}-dup-0"} for i, original in enumerate(originals)]
    duplicates[0]["given_name"] = "ana"  # a typo
    result = quality.evaluate(originals, duplicates, [("John Brown", None, "9999")])
    assert result["indexed"] == 4
    # John Brown: the distractor, indexed first with the same name, wins the tie; Ana Smith is
    # found by search only.
    assert result["name"]["recall_at_1"] == round(2 / 3, 4)
    assert result["name"]["recall_at_10"] == 1.0
    assert result["exact normalised name"] == {
        "queries": 3, "recall_at_1": round(1 / 3, 4), "recall_at_10": round(2 / 3, 4),
        "mrr": round((1 / 2 + 1) / 3, 4),
    }  # fmt: skip


def test_principals_never_share_a_session(api):
    """Requests of two principals interleaved on one server: each gets its own masking."""
    key = first_client(api, UK)["client_key"]

    def email_seen(who: str) -> tuple[str, str]:
        return who, api.ok(f"/clients/{key}", who=who)["contact"]["email"]

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(email_seen, ["crm", "uk"] * 40))
    assert {email for who, email in seen if who == "uk"} == {MASKED}
    assert MASKED not in {email for who, email in seen if who == "crm"}


BAD_INPUT = [
    # (what, path, caller, query parameters, status, words of the message)
    ("no key", "/segments", None, {}, 401, "missing API key"),
    ("unknown key", "/segments", "forged", {}, 401, "invalid API key"),
    ("unknown role", "/clients/at-risk", "intern", {}, 403, "is not an analytics role"),
    ("unentitled user", "/segments", "unentitled", {}, 403, "has no region entitlements"),
    ("no user", "/clients/search", "no_user", {"q": "smith"}, 403, "analytics_user is not set"),
    ("unknown client", "/clients/0000", "crm", {}, 404, "no client '0000'"),
    ("SQL as a client key", "/clients/x' or '1'='1", "uk", {}, 404, "no client"),
    ("SQL as a limit", "/clients/top-value", "crm", {"limit": "1; drop"}, 422, "'limit'"),
    ("huge limit", "/clients/at-risk", "crm", {"limit": 10**12}, 422, "less than or equal"),
    ("zero limit", "/clients/top-value", "crm", {"limit": 0}, 422, "greater than or equal"),
    ("page 0", "/clients/search", "crm", {"q": "smith", "page": 0}, 422, "'page'"),
    ("huge page", "/clients/search", "crm", {"q": "a", "page_size": 10**6}, 422, "'page_size'"),
    ("empty search", "/clients/search", "crm", {"q": ""}, 422, "'q'"),
    ("no search", "/clients/search", "crm", {}, 422, "'q'"),
    ("blank search", "/clients/search", "crm", {"q": "  ;-- "}, 422, "letter or a digit"),
    ("10 kB search", "/clients/search", "crm", {"q": "smith " * 1707}, 422, "at most 200"),
    ("non-UTF-8 search", "/clients/search?q=%FF%FEsmith", "crm", {}, 422, "not valid UTF-8"),
    ("non-UTF-8 key", "/clients/%C3%28", "crm", {}, 422, "not valid UTF-8"),
    ("10 kB client key", "/clients/" + "k" * 10_000, "crm", {}, 422, "at most 200"),
    ("no such endpoint", "/clients", "crm", {}, 404, "no endpoint"),
]


@pytest.mark.parametrize(
    "path, who, params, status, words",
    [case[1:] for case in BAD_INPUT],
    ids=[c[0] for c in BAD_INPUT],
)
def test_bad_input_is_a_clear_json_error(api, path, who, params, status, words):
    headers = {"X-API-Key": api.keys.get(who, "forged")} if who else {}
    # params=None keeps a query string written into the path (httpx replaces it otherwise).
    response = api.http.get(api.url + path, params=params or None, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == status and body["error"] and words in body["message"], body
    assert "Traceback" not in response.text and len(response.text) < 1000


def test_raw_non_ascii_bytes_in_the_request_line_are_refused_before_the_app(api):
    """Bytes above 0x7f may not appear unencoded in an HTTP/1.1 request line: uvicorn answers
    400 in plain text itself (docs/api.md), and the server goes on serving."""
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"GET /clients/search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"Traceback" not in answer
    assert api.get("/segments").status_code == 200


def test_sql_in_a_search_is_text_and_returns_only_the_principals_rows(api):
    injected = "' or 1=1; drop view analytics.v_client_360; --"
    found = api.ok("/clients/search", who="uk", q=injected)
    assert {r["region"] for r in found["results"]} <= {UK}
    assert api.ok("/clients/top-value", who="crm", limit=1)["count"] == 1


ENDPOINTS = [
    "/health",
    "/clients/search",
    "/clients/at-risk",
    "/clients/top-value",
    "/clients/{client_key}",
    "/segments",
    "/metrics/monthly",
    "/metrics/health",
]


def test_the_openapi_schema_declares_each_response(api):
    schema = api.ok("/openapi.json", who=None)
    paths = schema["paths"]
    for path in ENDPOINTS:
        responses = paths[path]["get"]["responses"]
        assert "$ref" in responses["200"]["content"]["application/json"]["schema"], path
        if path != "/health":
            for status in ("401", "403", "422", "503"):
                assert responses[status]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (path, status)
    assert "APIKeyHeader" in schema["components"]["securitySchemes"]


def test_a_bad_key_file_stops_the_server_with_one_line(tmp_path):
    cases = {
        "missing.json": "cannot read",
        "list.json": "expected a JSON object",
        "plain.json": "keys must be SHA-256 digests",
    }
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "plain.json").write_text(json.dumps({"my-secret-key": {"role": "CRM_ANALYST"}}))
    for name, words in cases.items():
        run = subprocess.run(
            [sys.executable, "-m", "customer_analytics.api", "--keys", str(tmp_path / name)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        assert run.returncode == 2 and words in run.stderr, run.stderr
        assert "Traceback" not in run.stderr and "my-secret-key" not in run.stderr


def test_the_benchmark_counts_answers_errors_and_judges_targets(api):
    bench = load_python_file("bench/api_benchmark.py")
    keys = {"crm": api.keys["crm"], "forged": "forged"}
    served = uvloop.run(bench.run_phase(api.url, keys, [("crm", "/segments")], 30, 64))
    assert (served["requests"], served["errors"]) == (64, 0)
    refused = uvloop.run(bench.run_phase(api.url, keys, [("forged", "/segments")], 30, 40))
    assert (refused["requests"], refused["errors"]) == (0, 40)
    assert refused["first_errors"][0].startswith("401")
    phases = {
        "profile_closed": {"p95_ms": 35.0, "per_s": 900.0},
        "profile_offered": {"p95_ms": 6.0},
        "during_publish": {"errors": 0, "publish": {"seconds": 80}},
    }
    assert bench.verdicts(phases) == {
        "profile p95 <= 20 ms (closed)": False,
        "profile p95 <= 20 ms (offered)": True,
        ">= 500 profile lookups/s (closed)": True,
        "no error during a concurrent publish": True,
    }


def wait_for(predicate, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {timeout_s} s")


def test_a_missing_or_unreadable_published_file_is_a_503(api, tmp_path):
    kept = tmp_path / "kept.duckdb"
    os.link(api.published, kept)  # the same file, to put back unchanged
    garbage = api.published.with_name("garbage")
    garbage.write_bytes(b"not a DuckDB file " * 100)
    try:
        os.replace(garbage, api.published)
        broken = wait_for(lambda: (r := api.get("/segments")).status_code == 503 and r)
        assert "could not be read" in broken.json()["message"]
        assert broken.headers["retry-after"] == "1"

        api.published.unlink()
        missing = api.get("/clients/at-risk", who="uk")
        assert missing.status_code == 503 and "no published warehouse" in missing.json()["message"]
        health = api.get("/health", who=None)
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
    finally:
        os.replace(kept, api.published)
    wait_for(lambda: api.get("/segments").status_code == 200)


def test_a_publish_while_serving_switches_to_the_new_state_without_errors(
    api, built_warehouse, tmp_path
):
    """Must run last in this file: it publishes a changed warehouse over the served one. The
    profiles asked before it are cached (as JSON, per snapshot): the new name must come all the
    same."""
    client = first_client(api, UK)
    key, old_name = client["client_key"], client["client_name"]
    new_name = old_name + " (renamed)"
    changed = tmp_path / "working" / "warehouse.duckdb"
    changed.parent.mkdir()
    shutil.copy(built_warehouse, changed)
    with duckdb.connect(str(changed)) as connection:
        connection.execute(
            "update core.client_dim set client_name = ? where client_key = ?", [new_name, key]
        )
    before = api.get(f"/clients/{key}").headers["x-published-at"]

    seen: list[tuple[str, int, str | None]] = []
    stop = threading.Event()

    profile = f"/clients/{key}"

    def keep_reading():
        while not stop.is_set():
            for who, path, params in (
                ("crm", profile, {}),
                ("uk", profile, {}),
                ("crm", "/clients/search", {"q": old_name}),
                ("uk", "/clients/at-risk", {"limit": 5}),
                ("crm", "/segments", {}),
            ):
                response = api.get(path, who, **params)
                name = response.json().get("client_name") if path == profile else None
                seen.append((path, response.status_code, name))

    readers = [threading.Thread(target=keep_reading) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        publish_file(changed, api.published)
        for who in ("crm", "uk"):
            wait_for(lambda who=who: api.ok(f"/clients/{key}", who)["client_name"] == new_name)
        time.sleep(0.5)
    finally:
        stop.set()
        for reader in readers:
            reader.join()

    assert {status for _, status, _ in seen} == {200}, [s for s in seen if s[1] != 200][:5]
    assert {name for path, _, name in seen if path == profile} == {old_name, new_name}
    assert api.get(profile).headers["x-published-at"] != before
    found = api.ok("/clients/search", q=new_name)["results"][0]
    assert (found["client_key"], found["client_name"]) == (key, new_name)
