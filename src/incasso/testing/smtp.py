"""A real SMTP server on loopback for the tests that send mail (aiosmtpd, its own thread).

``smtp`` (fixture in the root conftest) starts one on a free port, points Django's SMTP backend at it
and yields its ``Inbox``: ``inbox.messages`` is a list of ``(recipients, message)`` in arrival order,
``message`` an ``email.message.EmailMessage`` parsed with the default policy (``get_content()``,
``iter_attachments()`` work). aiosmtpd cannot bind port 0, so a free port is picked first.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage


class Inbox:
    """The aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    @property
    def bodies(self) -> list[EmailMessage]:
        return [message for _recipients, message in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_smtp_server() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
