"""``make dev``: a local Firestore emulator and every function on http://localhost:8080.

Mail is written as .eml files under .local/outbox/ (the ``file`` transport); a relay turns each
new ``mail`` document into the CloudEvent that Eventarc would send to the delivery function.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from google.cloud import firestore

from devstack.devserver import DevServer
from devstack.emulator import preferred_kind, running
from devstack.http_functions import EVENT_FUNCTIONS, HTTP_FUNCTIONS, create_local_app
from devstack.relay import MailRelay

LOCAL_PROJECT = "demo-buurtwhatsapp"


@contextmanager
def local_stack(host: str, port: int, emulator_kind: str) -> Iterator[str]:
    """Emulator, every function and the mail relay; yields the base URL. Used by tests too."""
    with running(emulator_kind) as emulator:
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        os.environ.setdefault("GOOGLE_CLOUD_PROJECT", LOCAL_PROJECT)
        with serving(host, port) as base_url:
            os.environ.setdefault("PUBLIC_BASE_URL", base_url)
            print(f"Firestore emulator ({emulator.kind}) at {emulator.host}", flush=True)
            yield base_url


@contextmanager
def serving(host: str, port: int) -> Iterator[str]:
    """Every function on host:port, with the mail relay posting to the delivery function."""
    os.environ.setdefault("MAIL_TRANSPORT", "file")
    server = dev_server(host, port)
    base_url = f"http://{'localhost' if host == '127.0.0.1' else host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    [delivery_path] = EVENT_FUNCTIONS
    relay = MailRelay(
        firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"]),
        f"http://127.0.0.1:{server.server_port}{delivery_path}",
    )
    relay.start()
    try:
        yield base_url
    finally:
        relay.stop()
        server.shutdown()
        thread.join()
        server.server_close()


def dev_server(host: str, port: int) -> DevServer:
    """Every function on host:port (0: any free port), not yet serving.

    Werkzeug's threaded server, with bounded request bodies and no tokens in its log
    (devstack/devserver.py); the tests that need no emulator serve this one directly.
    """
    return DevServer(host, port, create_local_app())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--emulator", default="auto", help="auto, google or npm")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM must unwind like Ctrl-C does, so that the emulator is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    kind = preferred_kind() if args.emulator == "auto" else args.emulator
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://localhost:{args.port}")
    with local_stack("127.0.0.1", args.port, kind) as base_url:
        for path in HTTP_FUNCTIONS:
            print(f"  {base_url}{path}", flush=True)
        print("Mail goes to .local/outbox/. Ctrl-C stops everything.", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
