"""A real SMTP server for the tests (aiosmtpd), run as its own process.

Accepts mail and writes each message to FOLDER as an .eml file. Recipients whose local part
starts with "bounce" are refused for good (550); "busy" ones are refused for now (451).

    python tests/support/smtp_sink.py PORT FOLDER
"""
import asyncio
import sys
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("busy"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4()
        partial = self.folder / f"{name}.partial"
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(self.folder / f"{name}.eml")  # readers never see half a message
        return "250 Message accepted for delivery"


def main():
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Handler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
