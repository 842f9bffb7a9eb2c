"""Use case: merge auth.json entries into the store, all of them or none."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from code_mesh.application.auth_file import AuthFileEntry
from code_mesh.application.ports import CredentialRepository, CredentialStore, CredentialWrite
from code_mesh.domain.audit import Action, AuditEntry
from code_mesh.domain.credentials import OAuthToken, StoredCredential
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.providers import ProviderEntry, host_of
from code_mesh.domain.text import one_line

URL_METADATA = ("api_url", "enterprise_url")


class ImportAction(StrEnum):
    ADD = "add"
    REPLACE = "replace"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedImport:
    entry: AuthFileEntry
    action: ImportAction


def screen_metadata_urls(
    entries: Sequence[AuthFileEntry], entry_for: Callable[[ProviderId], ProviderEntry]
) -> tuple[list[AuthFileEntry], list[str]]:
    """SPEC section 9: a URL in an imported credential's metadata is kept only when the
    provider's entry allows its host (or config.toml names it), so an auth.json someone hands
    you cannot send your tokens elsewhere. Returns the entries to import and one line per URL
    dropped."""
    kept: list[AuthFileEntry] = []
    dropped: list[str] = []
    for entry in entries:
        credential = entry.credential
        if isinstance(credential, OAuthToken):
            provider = entry_for(entry.provider)
            refused = {
                name: url
                for name in URL_METADATA
                if (url := getattr(credential, name)) is not None and not provider.allows_url(url)
            }
            if refused:
                entry = replace(entry, credential=replace(credential, **dict.fromkeys(refused)))
                for name, url in refused.items():
                    host = one_line(host_of(url if "://" in url else f"https://{url}") or url, 80)
                    dropped.append(
                        f"{entry.label}: dropped {name} ({host} is not a host {entry.provider} allows over "
                        f"https; allowed_hosts under [providers.{entry.provider}] in config.toml can add it)"
                    )
        kept.append(entry)
    return kept, dropped


def _action(entry: AuthFileEntry, existing: StoredCredential | None) -> ImportAction:
    if existing is None:
        return ImportAction.ADD
    same = (
        existing.credential == entry.credential
        and existing.needs_login == entry.needs_login
        and (existing.active or not entry.active)
    )
    return ImportAction.UNCHANGED if same else ImportAction.REPLACE


def import_credentials(
    store: CredentialStore, entries: Sequence[AuthFileEntry], *, dry_run: bool = False
) -> list[PlannedImport]:
    """Each entry replaces the stored credential of the same provider and account.

    An entry that stood under a bare provider id becomes the active account; the
    others keep whichever account was active. One transaction: all entries or none.
    A stored credential whose secrets do not open (locked, damaged) does not stop the
    import: an entry for it replaces it, and the others are left as they are.
    """
    with store.reading() if dry_run else store.writing() as repository:
        readable, unreadable = repository.all_readable()
        existing = {(stored.provider, stored.account): stored for stored in readable}
        cannot_compare = {(item.provider, item.account) for item in unreadable}
        planned = [
            PlannedImport(
                entry,
                ImportAction.REPLACE
                if (entry.provider, entry.account) in cannot_compare
                else _action(entry, existing.get((entry.provider, entry.account))),
            )
            for entry in entries
        ]
        if not dry_run:
            _write(repository, planned, {s.provider: s.account for s in existing.values() if s.active})
            repository.record(
                *(AuditEntry(Action.IMPORT, i.entry.provider, i.entry.account) for i in planned)
            )
    return planned


def _write(
    repository: CredentialRepository,
    planned: Sequence[PlannedImport],
    active_before: Mapping[ProviderId, AccountName],
) -> None:
    """Save the changes, keeping the order in which accounts become active.

    An export lists a provider's other accounts most recent first, so new ones are ranked
    in that order (SPEC section 2: when the active account is logged out, the most recently
    activated remaining one takes over), below the account that stays active."""
    changed = [item for item in planned if item.action is not ImportAction.UNCHANGED]
    new_others = [item for item in changed if item.action is ImportAction.ADD and not item.entry.active]
    rest = [item for item in changed if item.action is not ImportAction.ADD or item.entry.active]
    writes = [_write_of(item, activate=True) for item in reversed(new_others)]
    writes += [_write_of(item, activate=item.entry.active) for item in rest]
    repository.save_many(writes)
    activated_by_file = {item.entry.provider for item in rest if item.entry.active}
    named_active = {item.entry.provider: item.entry.account for item in planned if item.entry.active}
    for provider in dict.fromkeys(item.entry.provider for item in new_others):
        if provider in activated_by_file:
            continue
        stays_active = named_active.get(provider) or active_before.get(provider)
        if stays_active is not None:
            repository.activate(provider, stays_active)


def _write_of(item: PlannedImport, *, activate: bool) -> CredentialWrite:
    entry = item.entry
    return CredentialWrite(
        entry.provider, entry.account, entry.credential, needs_login=entry.needs_login, activate=activate
    )
