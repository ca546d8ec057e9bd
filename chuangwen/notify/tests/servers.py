"""Real local servers for the delivery tests: a webhook endpoint and an SMTP server, each in a thread."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


class WebhookServer:
    """Records every POST and answers as told: "ok", "500", "errcode", "notjson" or "hang"."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.mode = "ok"
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                outer.requests.append(Received(parts.path, query, dict(self.headers.items()), raw))
                if outer.mode == "hang":
                    outer.release.wait(5)
                    return
                if outer.mode == "500":
                    self._answer(500, b'{"errcode": -1, "errmsg": "system busy"}')
                elif outer.mode == "errcode":
                    self._answer(200, b'{"errcode": 310000, "errmsg": "sign not match"}')
                elif outer.mode == "notjson":
                    self._answer(200, b"<html>gateway</html>")
                else:
                    self._answer(200, b'{"errcode": 0, "errmsg": "ok"}')

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WebhookServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    """A minimal SMTP responder (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT). ``reject`` refuses recipients."""

    mails: list[Mail] = field(default_factory=list)
    reject: bool = False

    def __post_init__(self) -> None:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                sender, recipients = "", list[str]()
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("utf-8", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-localhost")
                        self.reply("250-8BITMIME")
                        self.reply("250 SMTPUTF8")
                    elif verb == "HELO":
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        sender = command.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        if outer.reject:
                            self.reply("550 5.1.1 mailbox unavailable")
                        else:
                            recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while True:
                            chunk = self.rfile.readline()
                            if chunk in (b".\r\n", b".\n", b""):
                                break
                            lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        outer.mails.append(Mail(sender, recipients, b"".join(lines)))
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> SmtpServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
