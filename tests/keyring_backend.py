"""A keyring backend for the tests: a JSON file named by CODE_MESH_TEST_KEYRING.

Processes started by the tests select it with PYTHON_KEYRING_BACKEND=keyring_backend.FileKeyring
(and this folder on PYTHONPATH), so an "OS keychain" persists across CLI runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 9  # type: ignore[assignment]

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["CODE_MESH_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\x00{username}"] = password
        self._path().write_text(json.dumps(entries))

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path().write_text(json.dumps(entries))
