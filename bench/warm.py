"""Warm requests: latency against the floor, in interleaved batches, and memory after them.

The function and the floor run side by side, each warmed up first (the first request of an
instance builds its collaborators; that is the cold start's business). Then batches of
requests alternate between them, the first of each pair of batches taking turns, one request at
a time on a kept-alive connection: the latency of one request, not the throughput.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from bench.figures import Table, iqr, mebibytes, milliseconds, quantile, ratio
from bench.floor import EVENT_FLOOR, HTTP_FLOOR
from bench.payloads import WARM, Request, Requests
from bench.processes import (
    REQUEST_TIMEOUT,
    Memory,
    Spec,
    Stage,
    Started,
    check_answer,
    check_memory,
    running,
)

WARM_UP_REQUESTS = 10
MEMORY_TIER_BYTES = 256 * 2**20  # Cloud Functions' 256 MiB tier (the deploy's default)


@dataclass
class Served:
    """A function after ``requests`` requests: the latency of each measured one, its memory."""

    name: str
    latencies: list[float]
    memory: Memory
    requests: int


def _serve(started: Started, make_request: Callable[[], Request], count: int) -> list[float]:
    """``count`` requests one after another on one connection; each one's seconds."""
    function = started.function
    connection = http.client.HTTPConnection("127.0.0.1", function.port, timeout=REQUEST_TIMEOUT)
    connection.connect()  # not timed: a kept-alive connection is the warm case
    latencies = []
    try:
        for _ in range(count):
            request = make_request()
            headers = dict(request.headers)
            if request.body or request.method == "POST":
                headers["Content-Length"] = str(len(request.body))
            began = time.perf_counter()
            connection.request(
                request.method, request.path, body=request.body or None, headers=headers
            )
            response = connection.getresponse()
            text = response.read()
            latencies.append(time.perf_counter() - began)
            check_answer(function, request, response.status, text)
            if response.will_close:
                connection.close()
                connection.connect()
    finally:
        connection.close()
    return latencies


@dataclass(frozen=True)
class _Side:
    target: Spec
    project: str
    floor: bool
    make: Callable[[], Request]


def against_floor(
    stage: Stage,
    spec: Spec,
    project: str,
    floor_project: str,
    requests: Requests,
    *,
    count: int,
    batch: int,
    progress: Callable[[str], None],
) -> tuple[Served, Served]:
    """``count`` measured requests to the function and to the floor, interleaved in batches;
    the function's figures first, the floor's second."""
    floor = EVENT_FLOOR if spec.signature_type == "cloudevent" else HTTP_FLOOR
    sides = (
        _Side(spec, project, False, lambda: requests.for_function(spec.entry_point, WARM)),
        _Side(floor, floor_project, True, lambda: requests.for_floor(spec.entry_point)),
    )
    with ExitStack() as stack:
        started = [
            stack.enter_context(running(stage, side.target, side.project, floor=side.floor))
            for side in sides
        ]
        for process, side in zip(started, sides, strict=True):
            process.first_answer(side.make())
            _serve(process, side.make, WARM_UP_REQUESTS - 1)
        latencies: tuple[list[float], list[float]] = ([], [])
        for number in range(0, count, batch):
            size = min(batch, count - number)
            for index in (0, 1) if (number // batch) % 2 == 0 else (1, 0):
                latencies[index].extend(_serve(started[index], sides[index].make, size))
                check_memory(started[index].function)
            progress(f"warm {spec.name}: {number + size}/{count}")
        served = WARM_UP_REQUESTS + count
        ours, base = (
            Served(side.target.name, times, check_memory(process.function), served)
            for process, side, times in zip(started, sides, latencies, strict=True)
        )
    return ours, base


def alone(
    stage: Stage,
    spec: Spec,
    project: str,
    requests: Requests,
    *,
    count: int,
    progress: Callable[[str], None],
) -> Served:
    """``count`` requests to the function alone, for its memory afterwards."""

    def make() -> Request:
        return requests.for_function(spec.entry_point, WARM)

    with running(stage, spec, project, floor=False) as started:
        started.first_answer(make())
        latencies = _serve(started, make, count - 1)
        memory = check_memory(started.function)
    progress(f"memory {spec.name}: {memory.peak_rss / 2**20:.0f} MiB after {count} requests")
    return Served(spec.name, latencies, memory, count)


def report_latency(table: Table, label: str, ours: Served, floor: Served, batch: int) -> None:
    for share, name in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        mine, base = quantile(ours.latencies, share), quantile(floor.latencies, share)
        details = f"{milliseconds(mine)} vs {milliseconds(base)}"
        if name == "p50":
            (low, high), (floor_low, floor_high) = iqr(ours.latencies), iqr(floor.latencies)
            details += (
                f", IQR {milliseconds(low)}–{milliseconds(high)} vs "
                f"{milliseconds(floor_low)}–{milliseconds(floor_high)}, "
                f"{len(ours.latencies)} requests each, in interleaved batches of {batch}"
            )
        table.add(f"warm {label} {name}", f"{ratio(mine / base)} floor", details)


def report_memory(table: Table, served: Served, floor: Served) -> None:
    peak, floor_peak = served.memory.peak_rss, floor.memory.peak_rss
    table.add(
        f"peak RSS {served.name}",
        mebibytes(peak),
        f"{peak / MEMORY_TIER_BYTES:.0%} of the 256 MiB tier; {ratio(peak / floor_peak)} the "
        f"floor's {mebibytes(floor_peak)}; PSS now {mebibytes(served.memory.pss)}; "
        f"{served.memory.processes} processes after {served.requests} requests",
    )
