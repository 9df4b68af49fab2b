"""Child processes of the local tools (emulators, functions-framework servers): free ports, their
process groups, stopping a group whole, and the tail of their logs. Standard library only."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

STOP_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` different TCP ports on 127.0.0.1 that nothing listens on just now. Each socket
    stays bound until all are chosen: asked one at a time, the kernel may hand out a port it
    just gave back, and two servers would then race for it."""
    with contextlib.ExitStack() as held:
        sockets = [
            held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            for _ in range(count)
        ]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def live_group_members(pgid: int) -> set[int] | None:
    """Pids of the running (not zombie) processes of group `pgid`; None where /proc is missing."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    members = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ..."; comm may itself contain spaces and parentheses.
        fields = stat.rpartition(")")[2].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.add(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` is still running (zombies awaiting reaping excepted)."""
    members = live_group_members(pgid)
    if members is not None:
        return bool(members)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate_group(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the process group of `process`, wait up to `timeout` for all of it, then SIGKILL.

    Where the leader is a launcher script (Google's runs java as its child), the children are
    signalled first: the script then exits by itself and reaps them, rather than leaving them
    orphaned, to linger as zombies until init collects them.
    """
    pgid = process.pid  # start_new_session=True: the leader's pid is the group id
    deadline = time.monotonic() + timeout

    def wait_while(still_running: Callable[[], bool], until: float) -> None:
        while time.monotonic() < until:
            process.poll()  # reap the leader, so that it does not linger as our zombie
            if not still_running():
                return
            time.sleep(0.05)

    children = (live_group_members(pgid) or set()) - {pgid}
    if children:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        wait_while(lambda: bool(children & (live_group_members(pgid) or set())), deadline)
        wait_while(lambda: process.poll() is None, min(deadline, time.monotonic() + 1))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    wait_while(lambda: group_alive(pgid), deadline)
    if group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    process.wait()


def log_tail(path: Path, offset: int = 0, lines: int = 25) -> str:
    """The last ``lines`` of a log written from ``offset`` on."""
    try:
        with path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(log unreadable: {exc})"
    tail = text.strip().splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"
