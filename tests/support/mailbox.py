"""Reading an email received by the real SMTP sink: every email is multipart/alternative (text and HTML parts)."""

from email.header import decode_header, make_header
from email.message import Message


def part(message: Message, content_type: str) -> str:
    """The decoded text of the message's `content_type` part (text/plain or text/html)."""
    for piece in message.walk():
        if piece.get_content_type() == content_type and not piece.is_multipart():
            return piece.get_payload(decode=True).decode(piece.get_content_charset() or "utf-8")
    raise AssertionError(f"no {content_type} part in {message['Subject']!r}")


def text_of(message: Message) -> str:
    return part(message, "text/plain")


def html_of(message: Message) -> str:
    return part(message, "text/html")


def subject_of(message: Message) -> str:
    """The subject as the reader sees it (a subject with accents travels encoded, RFC 2047)."""
    return str(make_header(decode_header(message["Subject"])))
