"""``make dev``: a local Firestore emulator and every function on http://localhost:8080.

Mail is written as .eml files under .local/outbox/ (the ``file`` transport).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from werkzeug.serving import run_simple

from devstack.emulator import preferred_kind, running
from devstack.http_functions import HTTP_FUNCTIONS, create_local_app

LOCAL_PROJECT = "demo-buurtwhatsapp"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--emulator", default="auto", help="auto, google or npm")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM must unwind like Ctrl-C does, so that the emulator is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    kind = preferred_kind() if args.emulator == "auto" else args.emulator
    with running(kind) as emulator:
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        os.environ.setdefault("GOOGLE_CLOUD_PROJECT", LOCAL_PROJECT)
        os.environ.setdefault("MAIL_TRANSPORT", "file")
        os.environ.setdefault("PUBLIC_BASE_URL", f"http://localhost:{args.port}")
        print(f"Firestore emulator ({emulator.kind}) at {emulator.host}", flush=True)
        for path in HTTP_FUNCTIONS:
            print(f"  http://localhost:{args.port}{path}", flush=True)
        run_simple("localhost", args.port, create_local_app(), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
