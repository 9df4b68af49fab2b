"""Firestore reads, writes and deletes counted at the client, as Firestore bills them.

A gRPC interceptor on the google-cloud-firestore client's channel sees every RPC the code under
measurement makes, whatever layer of ours makes it:

- ``Commit`` (batches, single writes, transactions) and ``BatchWrite``: each ``Write`` that
  succeeded is one write, or one delete if it is a delete. A commit that fails (a create of an
  existing document) is billed nothing and counted apart, as ``failed_commits``.
- ``BatchGetDocuments`` (``get``, ``get_all``): one read per document asked for, found or not.
- ``RunQuery``: one read per document returned, and one for a query that returns none
  (Firestore's minimum charge per query).
- ``RunAggregationQuery`` (``count()``): one read per batch of up to 1,000 index entries
  counted, at least one.

It also times every call, so that a request's *round trips* can be counted: the calls it makes
one after another, calls that overlap (a ``get_all``'s documents, reads in parallel threads)
counting once. In Google Cloud each is a network round trip of several milliseconds.

Billing rules: https://cloud.google.com/firestore/pricing ("Reads, writes, and deletes",
"Aggregation queries", "Minimum charge"). Transactions' ``BeginTransaction`` and ``Rollback`` are
not billed. Only the emulator's channel is intercepted: the bench never talks to Google.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud.firestore_v1 import base_client


@dataclass
class Operations:
    """Billed operations, plus what explains them: RPCs by method and writes by collection."""

    writes: int = 0
    reads: int = 0
    deletes: int = 0
    failed_commits: int = 0
    rpcs: Counter[str] = field(default_factory=Counter)
    # Collection path -> writes; "<path> (delete)" -> deletes.
    written: Counter[str] = field(default_factory=Counter)

    def __add__(self, other: Operations) -> Operations:
        return Operations(
            self.writes + other.writes,
            self.reads + other.reads,
            self.deletes + other.deletes,
            self.failed_commits + other.failed_commits,
            self.rpcs + other.rpcs,
            self.written + other.written,
        )

    def __sub__(self, other: Operations) -> Operations:
        rpcs, written = Counter(self.rpcs), Counter(self.written)
        rpcs.subtract(other.rpcs)
        written.subtract(other.written)
        return Operations(
            self.writes - other.writes,
            self.reads - other.reads,
            self.deletes - other.deletes,
            self.failed_commits - other.failed_commits,
            rpcs,
            written,
        )

    def collections(self) -> set[str]:
        """The paths of the collections written to (or deleted from)."""
        return {name.removesuffix(" (delete)") for name, value in self.written.items() if value}

    def to_json(self) -> dict[str, Any]:
        return {
            "writes": self.writes,
            "reads": self.reads,
            "deletes": self.deletes,
            "failed_commits": self.failed_commits,
            "rpcs": {key: value for key, value in sorted(self.rpcs.items()) if value},
            "written": {key: value for key, value in sorted(self.written.items()) if value},
        }


class OperationCounter(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Counts what passes through the channels it is installed on (see `install`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = Operations()
        self._paused = 0
        self._calls: list[list[float]] = []  # [started, ended] of every call, by start

    @contextmanager
    def round_trips(self) -> Iterator[Callable[[], int]]:
        """``with counter.round_trips() as trips: ...; trips()``: the calls the block made one
        after another (calls that overlap in time count once)."""
        with self._lock:
            first = len(self._calls)
        end: list[int] = []
        try:
            yield lambda: sequential(self._calls[first : end[0] if end else None])
        finally:
            with self._lock:
                end.append(len(self._calls))

    def _started(self) -> list[float]:
        moment = time.perf_counter()
        call = [moment, moment]
        with self._lock:
            if not self._paused:
                self._calls.append(call)
        return call

    def snapshot(self) -> Operations:
        with self._lock:
            return self._total + Operations()

    @contextmanager
    def measuring(self) -> Iterator[Callable[[], Operations]]:
        """``with counter.measuring() as counted: ...; counted()`` is what the block did."""
        start = self.snapshot()
        end: list[Operations] = []
        try:
            yield lambda: (end[0] if end else self.snapshot()) - start
        finally:
            end.append(self.snapshot())

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The bench's own looking around (which mail is new?) is not the product's cost."""
        with self._lock:
            self._paused += 1
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1

    def _add(self, change: Operations) -> None:
        with self._lock:
            if not self._paused:
                self._total = self._total + change

    # ---- the interceptor -------------------------------------------------------------------

    def intercept_unary_unary(self, continuation, client_call_details, request):
        call = self._started()
        outcome = continuation(client_call_details, request)
        call[1] = time.perf_counter()  # the sync client's call has completed by now
        method = _method(client_call_details)
        change = Operations(rpcs=Counter({method: 1}))
        if method in ("Commit", "BatchWrite"):
            # Waiting here costs nothing: the caller waits for the result right after.
            if outcome.exception() is not None:
                change.failed_commits += 1
            else:
                statuses = _pb(outcome.result()).status if method == "BatchWrite" else None
                for number, write in enumerate(_pb(request).writes):
                    if statuses is not None and number < len(statuses) and statuses[number].code:
                        continue  # BatchWrite applies each write on its own
                    _count_write(change, write)
        self._add(change)
        return outcome

    def intercept_unary_stream(self, continuation, client_call_details, request):
        timed = self._started()
        call = continuation(client_call_details, request)
        method = _method(client_call_details)
        self._add(Operations(rpcs=Counter({method: 1})))
        if method in ("BatchGetDocuments", "RunQuery", "RunAggregationQuery"):
            return _CountingStream(call, method, self, timed)
        return call


def sequential(calls: list[list[float]]) -> int:
    """How many of ``calls`` (each [started, ended]) happened one after another: overlapping
    calls form one group, and each group is one round trip."""
    trips = 0
    reached = float("-inf")
    for started, ended in sorted(calls):
        if started > reached:
            trips += 1
        reached = max(reached, ended)
    return trips


def _method(details: grpc.ClientCallDetails) -> str:
    method = details.method
    if isinstance(method, bytes):
        method = method.decode()
    return method.rpartition("/")[2]


def _pb(message: Any) -> Any:
    """The protobuf message under a proto-plus one (the GAPIC layer passes proto-plus)."""
    to_pb = getattr(type(message), "pb", None)
    return to_pb(message) if callable(to_pb) else message


def _collection(document_name: str) -> str:
    # projects/p/databases/d/documents/<collection>/<id>[/<sub>/<id>...]: the collection's path.
    return document_name.partition("/documents/")[2].rpartition("/")[0] or "?"


def _count_write(change: Operations, write: Any) -> None:
    operation = write.WhichOneof("operation")
    if operation == "delete":
        change.deletes += 1
        change.written[f"{_collection(write.delete)} (delete)"] += 1
    elif operation == "update":
        change.writes += 1
        change.written[_collection(write.update.name)] += 1
    elif operation == "transform":
        change.writes += 1
        change.written[_collection(write.transform.document)] += 1


class _CountingStream:
    """The streaming call, passed through as it is, counting billed reads as responses pass."""

    def __init__(
        self, call: Any, method: str, counter: OperationCounter, timed: list[float]
    ) -> None:
        self._call = call
        self._method = method
        self._counter = counter
        self._timed = timed  # [started, ended]: ended moves with each response
        self._documents = 0
        self._finished = False

    def __iter__(self) -> _CountingStream:
        return self

    def __next__(self) -> Any:
        try:
            response = next(self._call)
        except BaseException:
            self._finish()
            raise
        self._timed[1] = time.perf_counter()
        self._count(_pb(response))
        return response

    def _count(self, response: Any) -> None:
        reads = 0
        if self._method == "BatchGetDocuments":
            # Firestore bills a lookup per document asked for, whether it exists or not.
            if response.WhichOneof("result") is not None:
                reads = 1
        elif self._method == "RunQuery":
            if response.HasField("document"):
                self._documents += 1
                reads = 1
        else:  # RunAggregationQuery: one read per 1,000 index entries counted, at least one
            if response.HasField("result"):
                entries = max(
                    (
                        value.integer_value
                        for value in response.result.aggregate_fields.values()
                        if value.WhichOneof("value_type") == "integer_value"
                    ),
                    default=0,
                )
                self._documents += 1
                reads = max(1, math.ceil(entries / 1000))
        if reads:
            self._counter._add(Operations(reads=reads))

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._timed[1] = time.perf_counter()
        if self._method in ("RunQuery", "RunAggregationQuery") and self._documents == 0:
            self._counter._add(Operations(reads=1))  # the minimum charge of a query

    def cancel(self) -> bool:
        self._finish()
        return self._call.cancel()

    def __getattr__(self, name: str) -> Any:
        # code(), details(), initial_metadata(), is_active() ...: the call's own.
        return getattr(self._call, name)


_installed: list[OperationCounter] = []
_original_emulator_channel = base_client.BaseClient._emulator_channel


def install(counter: OperationCounter) -> Callable[[], None]:
    """Count the RPCs of every Firestore client that opens its emulator channel from now on.

    The client makes that channel once, on its first RPC: a client that has talked to the
    emulator before keeps its channel and is not counted. Returns the function that uninstalls.
    """

    def emulator_channel(client: Any, transport: Any) -> Any:
        channel = _original_emulator_channel(client, transport)
        if _installed and isinstance(channel, grpc.Channel):  # not the asyncio kind
            return grpc.intercept_channel(channel, _installed[-1])
        return channel

    _installed.append(counter)
    base_client.BaseClient._emulator_channel = emulator_channel  # type: ignore[method-assign]

    def uninstall() -> None:
        if counter in _installed:
            _installed.remove(counter)
        if not _installed:
            base_client.BaseClient._emulator_channel = _original_emulator_channel  # type: ignore[method-assign]

    return uninstall
