"""Fakes of the ports for in-process tests: a clock that only moves when told, a scripted gateway."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from code_mesh.application.ports import FailureNote, TokenEndpoint
from code_mesh.domain.oauth import DeviceAuthorization, DevicePoll, ExchangedToken, TokenGrant
from code_mesh.domain.secret import Secret


@dataclass
class FakeClock:
    """Time stands still until `sleep` or `advance` moves it; sleeps are recorded."""

    current: float = 1_800_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += seconds

    def advance(self, seconds: float) -> None:
        self.current += seconds


class ThreadLocks:
    """The CredentialLocks port within one process (the file locks are tested with processes).

    `wait` is honoured in real seconds (tests that use it hold the lock from another thread)."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self.held: list[tuple[str, str]] = []
        self.notes: dict[tuple[str, str], FailureNote] = {}

    @contextmanager
    def hold(self, provider: str, account: str, wait: float) -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault((provider, account), threading.Lock())
        if not lock.acquire(timeout=wait):
            yield False
            return
        try:
            self.held.append((provider, account))
            yield True
        finally:
            lock.release()

    def last_failure(self, provider: str, account: str) -> FailureNote | None:
        return self.notes.get((provider, account))

    def note_failure(self, provider: str, account: str, note: FailureNote) -> None:
        self.notes[(provider, account)] = note


class RecordingView:
    """The LoginView port: records what would be shown and answers from a script."""

    def __init__(self, answer: str | Callable[[], str] = "") -> None:
        self.answer = answer
        self.links: list[str] = []
        self.codes: list[tuple[str, str]] = []
        self.messages: list[str] = []

    def show_link(self, text: str, url: str) -> None:
        self.links.append(url)

    def show_device_code(self, user_code: str, verification_uri: str) -> None:
        self.codes.append((user_code, verification_uri))

    def read_answer(self, prompt: str) -> str:
        return self.answer() if callable(self.answer) else self.answer

    @contextmanager
    def waiting(self, message: str) -> Iterator[None]:
        self.messages.append(message)
        yield

    def info(self, message: str) -> None:
        self.messages.append(message)


class ScriptedGateway:
    """An OAuthGateway whose answers are given in advance; raises what it is given."""

    def __init__(self) -> None:
        self.refresh_answers: list[TokenGrant | Exception] = []
        self.poll_answers: list[TokenGrant | DevicePoll | Exception] = []
        self.device: DeviceAuthorization | None = None
        self.refresh_calls: list[str] = []
        self.copilot_answers: list[ExchangedToken | Exception] = []

    def refresh(self, endpoint: TokenEndpoint, refresh_token: Secret) -> TokenGrant:
        self.refresh_calls.append(refresh_token.reveal())
        answer = self.refresh_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def start_device_authorization(
        self, url: str, endpoint: TokenEndpoint, scope: str | None
    ) -> DeviceAuthorization:
        assert self.device is not None
        return self.device

    def poll_device_token(self, endpoint: TokenEndpoint, device_code: Secret) -> TokenGrant | DevicePoll:
        answer = self.poll_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def fetch_copilot_token(self, url: str, github_token: Secret) -> ExchangedToken:
        answer = self.copilot_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
