"""Turning command-line words into domain values; a bad one is a command-line error (exit 2)."""

from __future__ import annotations

from code_mesh.domain.errors import CommandLineError, InvalidIdentifier
from code_mesh.domain.identifiers import AccountName, ProviderId


def provider_argument(text: str) -> ProviderId:
    try:
        return ProviderId(text)
    except InvalidIdentifier as error:
        raise CommandLineError(str(error), "Run `code-mesh auth list` to see provider ids") from None


def account_argument(text: str) -> AccountName:
    try:
        return AccountName(text)
    except InvalidIdentifier as error:
        raise CommandLineError(str(error), "Run `code-mesh auth list` to see account names") from None


def optional_account(text: str | None) -> AccountName | None:
    return None if text is None else account_argument(text)
