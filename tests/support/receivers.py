"""Real local receivers for notifier tests: an SMTP server and an HTTP endpoint.

Fixtures (import them into a conftest: `from tests.support.receivers import smtp_server,
http_receiver  # noqa: F401`):

- `smtp_server`: aiosmtpd on 127.0.0.1 and a free port, collecting every message.
  It accepts AUTH PLAIN/LOGIN as `alerts` / `s3cret` (without TLS, for tests)
  but does not require it. Recipients `reject-permanent@...` get 550 and
  `reject-temporary@...` 451 at RCPT; `fail_next_data(n, "451 ...")` makes the
  next n DATA commands fail with that reply::

      def test_mail(smtp_server):
          ... send to smtp_server.host, smtp_server.port ...
          mail = smtp_server.messages[0].message  # an email.message.EmailMessage

- `http_receiver`: a threaded HTTP server (tests.support.http_server) with
  endpoints that answer JSON or text, can check each request (a signature, say)
  and can fail the first N requests with a status or a timeout, then recover::

      http_receiver.endpoint("/hook", {"errcode": 0}, fail_first=2, failure=500)
      http_receiver.endpoint("/slow", "ok", fail_first=1, failure="timeout")
      http_receiver.endpoint("/check", lambda req: Reply(200, "ok") if good(req) else Reply(401))
      http_receiver.json_bodies("/hook")  # parsed JSON of every request to /hook
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.support.http_server import LocalHTTPServer, Reply, Request

SMTP_USER = "alerts"
SMTP_PASSWORD = "s3cret"


def unused_port() -> int:
    """A port nothing listens on (bound and released), for "connection refused" tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None  # the AUTH user, if the client logged in

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class _Handler:
    messages: list[ReceivedMail] = field(default_factory=list)
    data_failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.startswith("reject-permanent@"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("reject-temporary@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.data_failures:
                return self.data_failures.pop(0)
            login = session.auth_data.login.decode() if session.authenticated else None
            data = envelope.original_content or b""
            mail = ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), data, login)
            self.messages.append(mail)
        return "250 Message accepted for delivery"


def _authenticate(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    good = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=good, handled=False, auth_data=auth_data if good else None)


class LocalSMTPServer:
    """aiosmtpd in its own thread on a free port; messages land in `.messages`."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = unused_port()
        self._handler = _Handler()
        self._controller = Controller(
            self._handler,
            hostname=self.host,
            port=self.port,
            authenticator=_authenticate,
            auth_require_tls=False,
            auth_required=False,
        )

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._handler.lock:
            return list(self._handler.messages)

    def fail_next_data(self, count: int, reply: str = "451 4.3.0 try again later") -> None:
        with self._handler.lock:
            self._handler.data_failures.extend([reply] * count)

    def __enter__(self) -> LocalSMTPServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


Failure = int | Literal["timeout"]
Answer = Reply | dict[str, Any] | str | Callable[[Request], Reply]


class HttpReceiver:
    """Endpoints on a real local HTTP server that answer, check, and fail on request."""

    def __init__(self, server: LocalHTTPServer, timeout_delay: float = 3.0) -> None:
        self.server = server
        self.timeout_delay = timeout_delay  # how long a "timeout" failure stalls

    def endpoint(
        self, path: str, answer: Answer = "ok", *, fail_first: int = 0, failure: Failure = 500
    ) -> str:
        """Serve `answer` at `path` after `fail_first` failures; returns the endpoint's URL."""
        if failure == "timeout":
            failed = Reply(200, "too late", delay=self.timeout_delay)
        else:
            failed = Reply(failure, json.dumps({"error": "injected failure"}))
        self.server.route(path, *([failed] * fail_first), _reply(answer))
        return self.server.url(path)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def requests_to(self, path: str) -> list[Request]:
        return self.server.requests_to(path)

    def json_bodies(self, path: str) -> list[Any]:
        return [json.loads(r.body) for r in self.requests_to(path)]


def _reply(answer: Answer) -> Reply | Callable[[Request], Reply]:
    if isinstance(answer, dict):
        return json_reply(answer)
    if isinstance(answer, str):
        return Reply(200, answer, {"Content-Type": "text/plain; charset=utf-8"})
    return answer


def json_reply(data: Any, status: int = 200) -> Reply:
    body = json.dumps(data, ensure_ascii=False)
    return Reply(status, body, {"Content-Type": "application/json; charset=utf-8"})


def query(request: Request) -> dict[str, str]:
    """The query parameters of a recorded request (single values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}


@pytest.fixture
def smtp_server() -> Iterator[LocalSMTPServer]:
    """A fresh SMTP server for one test."""
    with LocalSMTPServer() as server:
        yield server


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A fresh HTTP receiver for one test."""
    with LocalHTTPServer() as server:
        yield HttpReceiver(server)
