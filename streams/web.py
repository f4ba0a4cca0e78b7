"""The worker's web views (DESIGN §7), for operators and their monitoring.

    GET /                         the operator's HTML page (lookup, held creates, dead letters)
    GET /health                   liveness: 200 while the worker's web server runs
    GET /ready                    200 when processing; 503 while tables recover, during a
                                  rebalance, or while the command schema is not registered
    GET /metrics                  Prometheus: faust's sensor metrics and streams/metrics.py
    GET /customers/{account_id}   an account's rows, sync state, last commands, subscriptions;
                                  answered by the worker that owns the key (faust's topic routing)
    GET /customers/?q=TEXT        search by name fragment or Siebel account id, every worker
    GET /held                     held creates and what each waits for, every worker
    GET /dlq                      dead letters and alerts: counts by reason, the latest records
    GET /sync/stats/, /sync/held/ this worker's counters and held creates (as before)

Bound off loopback (SYNC_WEB_BIND), every view but /health requires the bearer token
(SYNC_WEB_TOKEN); a request routed or fanned out to another worker carries it along.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams import dlq_summary, metrics, page
from streams.app import (
    app,
    command_serializer,
    held_accounts,
    held_states,
    history_table,
    hub_ctx,
    hub_table,
    hub_topic,
    settings,
    stats,
)
from streams.core.reducer import held_reason
from streams.core.state import CustomerState
from streams.exactly_once.committed_store import store_of
from streams.exactly_once.membership import coordination_failure
from streams.inspection import authorized, customer_view, matches, may_match

log = logging.getLogger(__name__)

View = Callable[..., Awaitable[Any]]
SEARCH_LIMIT = 50

# faust's own sensor metrics on the product's registry: what faust's setup_prometheus_sensors
# does, without the unguarded /metrics page it also registers (ours refreshes gauges first)
app.monitor = PrometheusMonitor(metrics=FaustMetrics.create(metrics.REGISTRY, "faust"))


def guarded(view: View) -> View:
    async def check(web: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        token = settings.web_token.get_secret_value()
        if not authorized(request.headers, token, settings.web_bind):
            return web.json({"error": "missing or wrong bearer token"}, status=401)
        return await view(web, request, *args, **kwargs)

    check.__name__, check.__doc__ = view.__name__, view.__doc__
    return check


def _other_workers() -> list[str]:
    """The web URLs of every worker in the group but this one (from faust's assignment)."""
    me = str(app.conf.canonical_url).rstrip("/")
    urls = {str(url).rstrip("/") for url in app.router.tables_metadata()}
    return sorted(urls - {me})


async def _get_json(request: Any, url: str) -> dict[str, Any]:
    """GET another worker's view with this request's token; an error is answered, not raised."""
    headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with app.http_client.get(url, headers=headers, timeout=timeout) as resp:
            answer = json.loads(await resp.text())
            return answer if isinstance(answer, dict) else {"answer": answer}
    except Exception as exc:  # noqa: BLE001 - reported in the answer
        return {"worker": url, "error": repr(exc)}


async def _fan_out(request: Any, path: str) -> list[dict[str, Any]]:
    """GET `path` from every other worker; a worker that does not answer is named, not fatal."""
    urls = _other_workers()
    return list(await asyncio.gather(*(_get_json(request, f"{url}{path}") for url in urls)))


def _local_search(text: str) -> list[dict[str, Any]]:
    found = []
    for account_id, state in store_of(hub_table).scan(may_match(text)):
        if matches(account_id, state, text):
            sync = (state or {}).get("sync") or {}
            account = ((state or {}).get("aggregate") or {}).get("account") or {}
            found.append(
                {
                    "account_id": account_id,
                    "name": account.get("name"),
                    "synced": sync.get("synced"),
                    "last_sequence": sync.get("sequence"),
                }
            )
            if len(found) >= SEARCH_LIMIT:
                break
    return found


def _local_held() -> dict[str, list[str]]:
    return {
        key: held_reason(CustomerState.from_json(value), hub_ctx) for key, value in held_states()
    }


async def readiness() -> list[str]:
    """Why this worker is not processing (empty: it is)."""
    waiting = []
    if app.rebalancing:
        waiting.append("a rebalance is under way")
    if coordination_failure(app.consumer) is not None:
        waiting.append("the consumer's group membership has failed (the worker is stopping)")
    if app.eos.checking:
        waiting.append("the partitions taken over are checked for hanging transactions")
    recovery: Any = app.tables.recovery  # type: ignore[attr-defined]
    if recovery.in_recovery or not recovery.completed.is_set():
        remaining = sum(max(v, 0) for v in recovery.active_remaining().values())
        metrics.RECOVERY_REMAINING.set(remaining)
        waiting.append(f"tables are recovering ({remaining} changelog records to read)")
    else:
        metrics.RECOVERY_REMAINING.set(0)
    try:  # looked up once, then kept; off the event loop while the registry is asked
        await asyncio.to_thread(command_serializer)
    except Exception as exc:  # noqa: BLE001 - named in the answer
        waiting.append(f"the command schema is not registered ({exc})")
    return waiting


async def refresh_gauges() -> None:
    """Lag per partition this worker reads (the client's high watermark minus the next offset
    to process), and table recovery progress (in `readiness`); at each scrape and every 5 s."""
    guard = app.eos.guard
    lag = {}
    for tp in app.consumer.assignment():
        expected, end = guard.expected(tp), app.consumer.highwater(tp)
        if guard.watches(tp) and expected is not None and end is not None:
            lag[(tp.topic, tp.partition)] = max(0, end - expected)
    metrics.set_lag(lag)
    await readiness()


@app.timer(interval=5.0)
async def refresh_gauges_timer() -> None:
    # not the function the scrape awaits: faust's @app.timer returns its `around_timer`, the
    # timer's endless loop, so awaiting a decorated function never returns
    await refresh_gauges()


@app.page("/metrics")
@guarded
async def prometheus(web: Any, request: Any) -> Any:
    """Prometheus text: faust's sensor metrics and streams/metrics.py, gauges as of now."""
    await refresh_gauges()
    return web.bytes(
        generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


@app.page("/health")
async def health(web: Any, request: Any) -> Any:
    """Liveness: the worker's event loop answers."""
    return web.json({"status": "ok"})


@app.page("/ready")
@guarded
async def ready(web: Any, request: Any) -> Any:
    """Readiness: 200 when processing, 503 with what it waits for otherwise."""
    waiting = await readiness()
    return web.json({"ready": not waiting, "waiting_for": waiting}, status=503 if waiting else 200)


@app.page("/customers/{account_id}")
@guarded
# routed by the hub topic's key, as the hub agent receives it: faust's table_route would hash
# the table's JSON-encoded key ('"1-ABC"'), which lands on another partition than the account's
@app.topic_route(topic=hub_topic, match_info="account_id")
async def customer(web: Any, request: Any, account_id: str) -> Any:
    """One account, answered by the worker whose partition holds it."""
    state, history = hub_table.get(account_id), history_table.get(account_id)
    view = customer_view(account_id, state, history, hub_ctx)
    return web.json(view, status=200 if view["known"] else 404)


async def _search(request: Any, text: str) -> list[dict[str, Any]]:
    found = _local_search(text)
    if request.query.get("local") != "1":
        path = f"/customers/?local=1&q={urllib.parse.quote(text)}"
        for answer in await _fan_out(request, path):
            found += answer.get("found", []) if isinstance(answer, dict) else []
    found.sort(key=lambda c: c["account_id"])
    return found[:SEARCH_LIMIT]


async def _held(request: Any) -> dict[str, Any]:
    creates = _local_held()
    errors = []
    if request.query.get("local") != "1":
        for answer in await _fan_out(request, "/held?local=1"):
            creates.update(answer.get("held", {}))
            if "error" in answer:
                errors.append(answer)
    return {"count": len(creates), "held": creates, "unanswered": errors}


async def _lookup(request: Any, account_id: str) -> dict[str, Any]:
    """The lookup through this worker's own /customers/ view, which routes to the owner."""
    me = str(app.conf.canonical_url).rstrip("/")
    answer = await _get_json(request, f"{me}/customers/{urllib.parse.quote(account_id)}")
    return answer if "known" in answer else {"account_id": account_id, "known": False, **answer}


@app.page("/customers/")
@guarded
async def search(web: Any, request: Any) -> Any:
    """?q= a Siebel account id or a name fragment, over every worker's partitions."""
    text = request.query.get("q", "")
    return web.json({"q": text, "found": await _search(request, text)})


@app.page("/held")
@guarded
async def held(web: Any, request: Any) -> Any:
    """Held creates of every worker, and what each waits for (R7)."""
    return web.json(await _held(request))


@app.page("/")
@guarded
async def index(web: Any, request: Any) -> Any:
    """The operator's page (streams/page.py): lookup, held creates, dead letters."""
    query = request.query.get("q", "").strip()
    found = await _search(request, query) if query else []
    exact = [c for c in found if c["account_id"].lower() == query.lower()]
    customer = None
    if query and (exact or len(found) <= 1):
        customer = await _lookup(
            request, (exact or found or [{"account_id": query}])[0]["account_id"]
        )
    summary = await asyncio.to_thread(dlq_summary.read, settings)
    html = page.render(query, found, customer, await _held(request), summary)
    return web.html(html)


@app.page("/dlq")
@guarded
async def dlq(web: Any, request: Any) -> Any:
    """Dead letters and alerts, read from the dead-letter topic: counts by reason, the latest."""
    summary = await asyncio.to_thread(dlq_summary.read, settings)
    return web.json(summary)


@app.page("/sync/stats/")
@guarded
async def stats_view(web: Any, request: Any) -> Any:
    """Counters of this worker and its held creates (local partitions)."""
    return web.json({**stats, "held_creates": len(held_accounts)})


@app.page("/sync/held/")
@guarded
async def held_view(web: Any, request: Any) -> Any:
    """Held creates on this worker's partitions and why each one waits (R7)."""
    return web.json(_local_held())
