"""Cold starts: from process start to the first successful answer, each function against the
floor, in interleaved pairs.

Pairs go round the functions (signup, coordinator, ..., then signup again), and within a pair
the floor goes first in even rounds and second in odd ones, so that a drift of the machine
(another process, the emulator's own warm-up) falls on both sides alike. One pair before them
all is not counted: the first start of the bench reads the venv from disk and meets an emulator
that has not yet compiled its code paths, which no later start does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.figures import Table, median, ratio, seconds, spread
from bench.floor import EVENT_FLOOR, HTTP_FLOOR
from bench.payloads import COLD, Request, Requests
from bench.processes import Spec, Stage, running


@dataclass
class ColdStarts:
    name: str
    function: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [ours / floor for ours, floor in zip(self.function, self.floor, strict=True)]


def measure(
    stage: Stage,
    plan: Sequence[tuple[Spec, int, str]],
    requests: Requests,
    floor_project: str,
    progress: Callable[[str], None],
) -> list[ColdStarts]:
    """``plan``: (function spec, pairs, project) for each function, in the order to go round."""
    results = [ColdStarts(spec.name) for spec, _pairs, _project in plan]
    spec, _pairs, project = plan[0]
    floor = EVENT_FLOOR if spec.signature_type == "cloudevent" else HTTP_FLOOR
    for target, run_project, request, is_floor in (
        (floor, floor_project, requests.for_floor(spec.entry_point), True),
        (spec, project, requests.for_function(spec.entry_point, COLD), False),
    ):
        with running(stage, target, run_project, floor=is_floor) as started:
            started.first_answer(request)
    progress("cold start: one pair not counted (disk cache, emulator warm-up)")
    for round_number in range(max(pairs for _spec, pairs, _project in plan)):
        for (spec, pairs, project), result in zip(plan, results, strict=True):
            if round_number >= pairs:
                continue
            entry_point = spec.entry_point
            floor = EVENT_FLOOR if spec.signature_type == "cloudevent" else HTTP_FLOOR
            runs: list[tuple[Spec, str, Request, bool, list[float]]] = [
                (floor, floor_project, requests.for_floor(entry_point), True, result.floor),
                (spec, project, requests.for_function(entry_point, COLD), False, result.function),
            ]
            if round_number % 2:
                runs.reverse()
            for target, run_project, request, is_floor, times in runs:
                with running(stage, target, run_project, floor=is_floor) as started:
                    times.append(started.first_answer(request))
            progress(
                f"cold start {result.name} {round_number + 1}/{pairs}: "
                f"{result.function[-1]:.2f} s vs floor {result.floor[-1]:.2f} s"
            )
    return results


# The goal: each function's cold start within 1.1× the floor's (the median of its pairs' ratios, as
# printed: 1.10× meets it).
GOAL = 1.10


def report(table: Table, results: list[ColdStarts]) -> None:
    for result in results:
        ratios = result.ratios
        met = "met" if round(median(ratios), 2) <= GOAL else "MISSED"
        table.add(
            f"cold start {result.name}",
            f"{ratio(median(ratios))} floor",
            f"goal ≤ {GOAL:.2f}× {met}; "
            f"median {seconds(median(result.function))} vs {seconds(median(result.floor))}, "
            f"spread {spread(min(ratios), max(ratios))} over {len(ratios)} "
            f"pair{'' if len(ratios) == 1 else 's'}",
        )
