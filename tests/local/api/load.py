"""Load above the API function's reserved concurrency, and what it leaves in the postcards table.

``run_load`` drives ``clients`` keep-alive clients (tests.bench._load.bounded_clients: bounded in
count and in time) against the local API Gateway. Each operation is, at random from a seeded
generator: send a postcard (POST, a fresh Idempotency-Key, retried with it), read the feed, read one
of its own acknowledged postcards back, or ask which environment answers (GET /v1/instance). Clients
retry as ``RetryingClient`` does.

``verify_writes`` then scans the postcards table through the edge: every acknowledged write (a 201)
is stored exactly once, nothing refused is stored, and a write whose outcome the client never
learnt is stored at most once. ``LoadReport`` carries the figures (throughput, p50/p99, the 429 and
throttle shares, the environments that answered).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.bench._load import bounded_clients
from tests.bench._results import percentile
from tests.local.api.retrying_client import Answer, Attempts, RetryingClient

# Weights of what a client does next: mostly reads, as a feed is used.
MIX = (("write", 4), ("feed", 3), ("read_own", 2), ("instance", 1))


@dataclass
class Write:
    key: str
    message: str
    outcome: str = "pending"  # acknowledged | refused | in_doubt
    postcard_id: str | None = None
    replayed: bool = False
    final_status: int = 0


@dataclass
class LoadRun:
    tag: str
    attempts: Attempts = field(default_factory=Attempts)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)  # "<kind> <final status>"
    writes: list[Write] = field(default_factory=list)
    environments: set[str] = field(default_factory=set)
    elapsed_s: float = 0.0

    def sample(self, kind: str, answer: Answer) -> float:
        self.latencies_ms.setdefault(kind, []).append(answer.latency_ms)
        self.outcomes[f"{kind} {answer.status}"] += 1
        return answer.latency_ms


async def run_load(api_url: str, *, clients: int, operations: int, seconds: float, seed: int = 14) -> LoadRun:
    """At most ``operations`` operations or ``seconds`` of them, from ``clients`` clients at once."""
    run = LoadRun(tag=f"load-{uuid.uuid4().hex[:8]}")
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    connector = aiohttp.TCPConnector(limit=0)  # one keep-alive connection per client at most
    async with aiohttp.ClientSession(connector=connector) as session:
        client = RetryingClient(session, api_url, run.attempts, seed=seed)

        async def operation() -> float:
            kind = rng.choices(kinds, weights)[0]
            return await _OPERATIONS[kind](run, client, rng)

        started = time.perf_counter()
        await bounded_clients(operation, clients, operations, seconds)
        run.elapsed_s = time.perf_counter() - started
    return run


async def _write(run: LoadRun, client: RetryingClient, _: random.Random) -> float:
    write = Write(key=uuid.uuid4().hex, message=f"{run.tag} {len(run.writes)}")
    run.writes.append(write)
    answer = await client.post(
        "/v1/postcards", {"author": run.tag, "message": write.message}, idempotency_key=write.key
    )
    write.final_status = answer.status
    if answer.status == 201:
        write.outcome, write.postcard_id = "acknowledged", answer.body["id"]
        write.replayed = answer.headers.get("Idempotent-Replayed") == "true"
    elif answer.status in (0, 502, 504) or answer.error_code == "request_in_progress":
        write.outcome = "in_doubt"  # the function may have run: the client never heard how it ended
    else:
        write.outcome = "refused"
    return run.sample("write", answer)


async def _feed(run: LoadRun, client: RetryingClient, _: random.Random) -> float:
    return run.sample("feed", await client.get("/v1/postcards?limit=10"))


async def _read_own(run: LoadRun, client: RetryingClient, rng: random.Random) -> float:
    mine = [write for write in run.writes if write.postcard_id]
    if not mine:
        return await _feed(run, client, rng)
    write = rng.choice(mine)
    answer = await client.get(f"/v1/postcards/{write.postcard_id}")
    if answer.status == 200 and answer.body.get("message") != write.message:
        run.outcomes["read_own mismatch"] += 1
    return run.sample("read_own", answer)


async def _instance(run: LoadRun, client: RetryingClient, _: random.Random) -> float:
    answer = await client.get("/v1/instance")
    if answer.status == 200:
        run.environments.add(answer.body["environment_id"])
    return run.sample("instance", answer)


_OPERATIONS = {"write": _write, "feed": _feed, "read_own": _read_own, "instance": _instance}


@dataclass(frozen=True)
class WriteCheck:
    acknowledged: int
    refused: int
    in_doubt: int
    replayed: int
    stored: int
    lost: list[str]  # acknowledged, not stored
    duplicated: list[str]  # stored more than once
    stored_refused: list[str]  # refused, stored anyway
    unknown_stored: list[str]  # stored with this run's tag, sent by no write of it

    @property
    def exactly_once(self) -> bool:
        return not (self.lost or self.duplicated or self.stored_refused or self.unknown_stored)


def verify_writes(run: LoadRun, stored_messages: list[str]) -> WriteCheck:
    """Compare what the clients were told with the messages stored under the run's tag."""
    copies = Counter(stored_messages)
    by_message = {write.message: write for write in run.writes}
    outcome = Counter(write.outcome for write in run.writes)
    return WriteCheck(
        acknowledged=outcome["acknowledged"],
        refused=outcome["refused"],
        in_doubt=outcome["in_doubt"],
        replayed=sum(write.replayed for write in run.writes),
        stored=len(stored_messages),
        lost=[w.message for w in run.writes if w.outcome == "acknowledged" and copies[w.message] == 0],
        duplicated=[message for message, count in copies.items() if count > 1],
        stored_refused=[w.message for w in run.writes if w.outcome == "refused" and copies[w.message]],
        unknown_stored=[message for message in copies if message not in by_message],
    )


def stored_messages(scan_pages: Callable[[], Iterator[dict[str, Any]]], tag: str) -> list[str]:
    """The messages of every postcard stored by the run ``tag`` (author = tag), from a table scan."""
    return [
        item["message"]["S"]
        for page in scan_pages()
        for item in page.get("Items", [])
        if item.get("author", {}).get("S") == tag
    ]


def report(
    run: LoadRun, check: WriteCheck, *, clients: int, reserved_concurrency: int | None
) -> dict[str, Any]:
    every = [ms for samples in run.latencies_ms.values() for ms in samples]
    statuses = run.attempts.statuses
    attempts = run.attempts.total
    return {
        "clients": clients,
        "reserved_concurrency": reserved_concurrency,
        "elapsed_s": round(run.elapsed_s, 2),
        "operations": len(every),
        "attempts": attempts,
        "throughput_ops_per_s": round(len(every) / run.elapsed_s, 1) if run.elapsed_s else None,
        "attempts_per_s": round(attempts / run.elapsed_s, 1) if run.elapsed_s else None,
        "latency_ms": _latency(every),
        "latency_ms_by_kind": {kind: _latency(samples) for kind, samples in sorted(run.latencies_ms.items())},
        "attempt_statuses": {str(status): count for status, count in sorted(statuses.items())},
        "attempts_without_retry_after": {
            str(status): count for status, count in sorted(run.attempts.without_retry_after.items())
        },
        "share_429": round(statuses[429] / attempts, 4) if attempts else 0.0,
        # A Lambda throttle reaches the client as API Gateway's 500 (see retrying_client).
        "share_throttled_429_or_500": round((statuses[429] + statuses[500]) / attempts, 4)
        if attempts
        else 0.0,
        "outcomes": dict(sorted(run.outcomes.items())),
        "writes": {
            "sent": len(run.writes),
            "acknowledged": check.acknowledged,
            "acknowledged_by_a_replay": check.replayed,
            "refused": check.refused,
            "in_doubt": check.in_doubt,
            "stored": check.stored,
            "acknowledged_not_stored": len(check.lost),
            "stored_more_than_once": len(check.duplicated),
            "refused_but_stored": len(check.stored_refused),
            "stored_unknown": len(check.unknown_stored),
            "exactly_once": check.exactly_once,
        },
        "environments_seen": len(run.environments),
    }


def _latency(samples: list[float]) -> dict[str, float | int]:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 0.5), 1),
        "p99": round(percentile(samples, 0.99), 1),
        "max": round(max(samples), 1),
    }


def run_and_verify(
    api_url: str, scan_pages: Callable[[], Iterator[dict[str, Any]]], **load: Any
) -> tuple[LoadRun, WriteCheck]:
    run = asyncio.run(run_load(api_url, **load))
    return run, verify_writes(run, stored_messages(scan_pages, run.tag))
