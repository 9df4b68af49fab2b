"""Run many gcloud command lines through gcloud's own command-line parser in one process.

Started with the Python that gcloud itself uses (its bundled one, or CLOUDSDK_PYTHON):

    PYTHON tests/gcloud_parser.py SDK_ROOT < commands.json > results.json

Each command is executed as ``gcloud`` would, with an empty configuration directory and no
account: an authentication error is the expected end, and means the command parsed; a parse
error exits 2 ("unrecognized arguments", "invalid choice"). Starting gcloud once instead of once
a command makes checking some eighty commands take seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def main() -> None:
    sdk_root = sys.argv[1]
    library = os.path.join(sdk_root, "lib")
    sys.path[:0] = [library, os.path.join(library, "third_party")]
    import gcloud as gcloud_launcher  # gcloud's own start-up script, lib/gcloud.py

    gcloud_launcher._fix_google_module()
    from googlecloudsdk import gcloud_main

    cli = gcloud_main.CreateCLI([])
    commands = json.load(sys.stdin)
    results = []
    # gcloud writes its errors to file descriptor 2 through its own logging, and what a command
    # prints (version, auth list) to 1: both are captured at the descriptor, per command.
    saved_stdout, saved_stderr, saved_stdin = os.dup(1), os.dup(2), os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        for command in commands:
            with tempfile.TemporaryFile() as captured, tempfile.TemporaryFile() as printed:
                os.dup2(captured.fileno(), 2)
                os.dup2(printed.fileno(), 1)
                os.dup2(devnull, 0)
                try:
                    cli.Execute(command[1:])
                    code = 0
                except SystemExit as stop:
                    code = stop.code if isinstance(stop.code, int) else 1
                except BaseException as error:
                    code = f"{type(error).__name__}: {error}"
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os.dup2(saved_stdout, 1)
                    os.dup2(saved_stderr, 2)
                    os.dup2(saved_stdin, 0)
                captured.seek(0)
                stderr = captured.read().decode("utf-8", "replace")
            results.append({"command": command, "code": code, "stderr": stderr[-2000:]})
    finally:
        os.close(devnull)
    sys.stdout.write(json.dumps(results))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
