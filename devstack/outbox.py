"""``make outbox``: the mail ``make dev`` delivered to .local/outbox/, readable in a terminal.

The .eml files are real messages (quoted-printable, multipart): a mail program opens them, but
in an editor their links are hard to copy. This prints, newest last, each mail's recipient,
subject and the links in its text part, so that a newcomer can walk the journey from here.
"""

from __future__ import annotations

import argparse
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from buurtwhatsapp.settings import Settings

LINK = re.compile(r"https?://\S+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--last", type=int, default=5, help="how many of the newest mails")
    args = parser.parse_args()
    outbox = Settings.from_env().mail_outbox_dir
    mails = sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime)[-args.last :]
    if not mails:
        print(f"No mail in {outbox} yet: sign up at http://localhost:8080/signup first.")
    for path in mails:
        show(path)


def show(path: Path) -> None:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text = message.get_body(("plain",)).get_content()
    print(f"\n{path.name}\n  To:      {message['To']}\n  Subject: {message['Subject']}")
    for attachment in message.iter_attachments():
        print(f"  Attached: {attachment.get_filename()}")
    for link in dict.fromkeys(LINK.findall(text)):
        print(f"  {link}")


if __name__ == "__main__":
    main()
