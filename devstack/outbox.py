"""``make outbox``: the mail ``make dev`` delivered to .local/outbox/, readable in a terminal.

The .eml files are real messages (quoted-printable, multipart): a mail program opens them, but
in an editor their links are hard to copy. This prints, newest last, each mail's recipient,
subject and the links in its text part, so that a newcomer can walk the journey from here.
"""

from __future__ import annotations

import argparse
import os
import re
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from pathlib import Path

from buurtwhatsapp.mail.transports import files

LINK = re.compile(r"https?://\S+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--last", type=int, default=5, help="how many of the newest mails")
    args = parser.parse_args()
    outbox = files.KIND.read(os.environ, [], True).outbox_dir
    mails = sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime)[-args.last :]
    if not mails:
        print(f"No mail in {outbox} yet: sign up at http://localhost:8080/signup first.")
    for path in mails:
        show(path)


def show(path: Path) -> None:
    raw = path.read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    # The headers as written, not parsed as addresses: a file from an older version may hold a
    # To that Python's address parser refuses (an encoded word as local part), and a decoded
    # value may hold characters a terminal would act on.
    head = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    to = printable(str(head.get("To", "")))
    subject = printable(decoded(str(head.get("Subject", ""))))
    print(f"\n{path.name}\n  To:      {to}\n  Subject: {subject}")
    for attachment in message.iter_attachments():
        print(f"  Attached: {printable(attachment.get_filename() or '')}")
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    for link in dict.fromkeys(LINK.findall(text)):
        print(f"  {link}")


def decoded(value: str) -> str:
    """An unstructured header with its encoded words decoded; as written if it cannot be."""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def printable(text: str) -> str:
    """``text`` with control and format characters shown as escapes, never acted on."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


if __name__ == "__main__":
    main()
