"""One contract, every store: the in-memory store, the SQLite store on a real file, and the same
SQL adapter on a real PostgreSQL database (a team store).

The token path's narrow read port (stdlib sqlite3) is held to the same facts: for
every credential the full store returns, it must report the same secret, type,
expiry and state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from code_mesh.adapters.crypto.field_cipher import FieldCipher
from code_mesh.adapters.crypto.key_vaults import KeyFileVault, new_salt
from code_mesh.adapters.store.dialects import PostgresDialect
from code_mesh.adapters.store.file_lock import FileKeyLock
from code_mesh.adapters.store.memory_store import InMemoryCredentialStore
from code_mesh.adapters.store.postgres_connect import display_url, make_team_engine, team_url
from code_mesh.adapters.store.schema_migrator import ensure_schema
from code_mesh.adapters.store.sql_store import SqlCredentialStore
from code_mesh.adapters.store.sqlite_reader import SqliteTokenReader
from code_mesh.adapters.store.store_meta import KEYFILE
from code_mesh.adapters.store.team_schema import migrate_team_store
from code_mesh.application.ports import CredentialStore
from code_mesh.domain.audit import Action, AuditEntry, AuditQuery, Outcome
from code_mesh.domain.credentials import ApiKey, Custom, OAuthToken
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret
from postgres_server import Cluster

OPENAI = ProviderId("openai")
ANTHROPIC = ProviderId("anthropic")
DEFAULT = AccountName("default")
WORK = AccountName("work")


def make_sqlite_store(tmp_path: Path) -> SqlCredentialStore:
    """A real store file whose secrets are sealed with a key file, as on a machine without a keychain."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    database = home / "auth.db"
    ensure_schema(database, home / "locks" / "schema.lock")
    cipher = FieldCipher(lambda record: KeyFileVault(home / "key"), lambda: KEYFILE, new_salt)
    return SqlCredentialStore.sqlite(database, cipher, key_lock=FileKeyLock(home / "locks" / "key.lock"))


@pytest.fixture(scope="module")
def team_database(postgres_for_module: Cluster) -> str:
    """One database for the module, migrated once; each test empties it (TRUNCATE)."""
    database = postgres_for_module.database()
    url = team_url(Secret(postgres_for_module.url(database)), "the test's URL")
    engine = make_team_engine(url)
    migrate_team_store(engine, display_url(url))
    engine.dispose()
    return postgres_for_module.url(database)


def make_postgres_store(url: str, key_directory: Path) -> SqlCredentialStore:
    """The team store on `url`, emptied, its secrets sealed with a team key file."""
    parsed = team_url(Secret(url), "the test's URL")
    engine = make_team_engine(parsed)
    with engine.connect() as connection, connection.begin():
        connection.execute(text("TRUNCATE credentials, store_meta, audit_log"))
    cipher = FieldCipher(lambda record: KeyFileVault(key_directory / "team.key"), lambda: KEYFILE, new_salt)
    return SqlCredentialStore(PostgresDialect(engine, display_url(parsed)), cipher)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CredentialStore]:
    if request.param == "memory":
        yield InMemoryCredentialStore()
        return
    if request.param == "sqlite":
        sql_store = make_sqlite_store(tmp_path)
    else:
        sql_store = make_postgres_store(request.getfixturevalue("team_database"), tmp_path)
    yield sql_store
    sql_store.dispose()


class TestCredentialStoreContract:
    def test_saved_credentials_come_back_equal(self, store: CredentialStore) -> None:
        oauth = OAuthToken(Secret("at"), Secret("rt"), 1_900_000_000, "acc", "https://e", "s1 s2")
        custom = Custom({"endpoint": Secret("https://x"), "token": Secret("tk")})
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("sk-1")))
            repository.save(ANTHROPIC, DEFAULT, oauth, needs_login=True)
            repository.save(ProviderId("azure"), DEFAULT, custom)
        with store.reading() as repository:
            assert repository.get(OPENAI, DEFAULT).credential == ApiKey(Secret("sk-1"))  # type: ignore[union-attr]
            anthropic = repository.get(ANTHROPIC, DEFAULT)
            assert anthropic is not None and anthropic.credential == oauth and anthropic.needs_login
            assert repository.get(ProviderId("azure"), DEFAULT).credential == custom  # type: ignore[union-attr]
            assert repository.get(OPENAI, WORK) is None

    def test_the_most_recently_activated_account_is_active(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("d")))
            repository.save(OPENAI, WORK, ApiKey(Secret("w")))
        with store.reading() as repository:
            assert repository.active(OPENAI).account == WORK  # type: ignore[union-attr]
            assert [(c.account, c.active) for c in repository.all()] == [(WORK, True), (DEFAULT, False)]
        with store.writing() as repository:
            repository.activate(OPENAI, DEFAULT)
        with store.reading() as repository:
            assert repository.active(OPENAI).account == DEFAULT  # type: ignore[union-attr]
            assert repository.get(OPENAI, WORK).active is False  # type: ignore[union-attr]

    def test_saving_without_activation_keeps_the_active_account(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("d")))
            repository.save(OPENAI, WORK, ApiKey(Secret("w")), activate=False)
            repository.save(ANTHROPIC, WORK, ApiKey(Secret("only")), activate=False)
        with store.reading() as repository:
            assert repository.active(OPENAI).account == DEFAULT  # type: ignore[union-attr]
            assert repository.active(ANTHROPIC).account == WORK  # type: ignore[union-attr]

    def test_replacing_changes_the_type_and_clears_old_fields(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, OAuthToken(Secret("at"), Secret("rt"), 5))
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("k")))
        with store.reading() as repository:
            assert repository.get(OPENAI, DEFAULT).credential == ApiKey(Secret("k"))  # type: ignore[union-attr]
            assert len(repository.all()) == 1

    def test_deleting_makes_the_most_recent_remaining_account_active(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            for name in ("a", "b", "c"):
                repository.save(OPENAI, AccountName(name), ApiKey(Secret(name)))
            repository.activate(OPENAI, AccountName("a"))
        with store.writing() as repository:
            assert repository.delete(OPENAI, AccountName("a"))
            assert not repository.delete(OPENAI, AccountName("a"))
        with store.reading() as repository:
            assert repository.active(OPENAI).account == "c"  # type: ignore[union-attr]

    def test_a_failed_transaction_changes_nothing(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("kept")))
        with pytest.raises(RuntimeError), store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("lost")))
            repository.save(ANTHROPIC, DEFAULT, ApiKey(Secret("lost")))
            raise RuntimeError("half-way")
        with store.reading() as repository:
            assert [c.credential for c in repository.all()] == [ApiKey(Secret("kept"))]

    def test_check_writable_writes_nothing_that_shows(self, store: CredentialStore) -> None:
        """The no-op write done before a refresh (issue 9, D4): rows, order and activation stay."""
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("k")))
            repository.save(OPENAI, WORK, OAuthToken(Secret("a"), Secret("r"), 1_900_000_000))
        with store.reading() as repository:
            before = repository.all()
        store.check_writable(OPENAI, WORK)
        store.check_writable(ANTHROPIC, DEFAULT)  # no such row: still only a check
        with store.reading() as repository:
            assert repository.all() == before

    def test_summaries_say_everything_but_the_secrets(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("k")))
            repository.save(
                OPENAI, WORK, OAuthToken(Secret("a"), Secret("r"), 1_900_000_000), needs_login=True
            )
            repository.save(ANTHROPIC, DEFAULT, OAuthToken(Secret("a"), None, 5), activate=False)
        with store.reading() as repository:
            summaries = repository.summaries()
            assert sorted(summaries, key=repr) == sorted((c.summary() for c in repository.all()), key=repr)
            assert [(c.provider, c.account) for c in summaries] == [
                (ANTHROPIC, DEFAULT),
                (OPENAI, WORK),
                (OPENAI, DEFAULT),
            ]

    def test_summaries_of_one_provider_and_all_readable(self, store: CredentialStore) -> None:
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("k")))
            repository.save(OPENAI, WORK, ApiKey(Secret("w")))
            repository.save(ANTHROPIC, DEFAULT, ApiKey(Secret("a")))
        with store.reading() as repository:
            everything = repository.summaries()
            assert repository.summaries(OPENAI) == [s for s in everything if s.provider == OPENAI]
            assert repository.all_readable() == (repository.all(), [])
            assert not any(summary.locked for summary in everything)

    def test_all_is_ordered_by_provider_then_most_recently_activated(self, store: CredentialStore) -> None:
        """The order in which the accounts would become active: what an export keeps."""
        with store.writing() as repository:
            repository.save(OPENAI, AccountName("b"), ApiKey(Secret("1")))
            repository.save(OPENAI, AccountName("z"), ApiKey(Secret("2")))
            repository.save(ANTHROPIC, AccountName("m"), ApiKey(Secret("3")))
            repository.save(OPENAI, AccountName("a"), ApiKey(Secret("4")), activate=False)
        with store.reading() as repository:
            keys = [(c.provider, c.account, c.active) for c in repository.all()]
        assert keys == [
            ("anthropic", "m", True),
            ("openai", "z", True),
            ("openai", "b", False),
            ("openai", "a", False),
        ]

    def test_audit_rows_commit_with_their_transaction_newest_first(self, store: CredentialStore) -> None:
        """SPEC section 13: a change's row is in the change's transaction; reads append their own."""
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("k")))
            repository.record(AuditEntry(Action.LOGIN, OPENAI, DEFAULT))
        with pytest.raises(RuntimeError), store.writing() as repository:
            repository.record(AuditEntry(Action.LOGOUT, OPENAI, DEFAULT))
            raise RuntimeError("rolled back, and its audit row with it")
        store.append_audit([AuditEntry(Action.READ, OPENAI, DEFAULT), AuditEntry(Action.EXPORT)])
        store.append_audit([AuditEntry(Action.REFRESH, ANTHROPIC, WORK, Outcome.FAILED)])
        with store.reading() as repository:
            rows = repository.audit(AuditQuery())
            assert [(r.action, r.provider, r.account, r.outcome) for r in rows] == [
                ("refresh", "anthropic", "work", "failed"),
                ("export", None, None, "ok"),
                ("read", "openai", "default", "ok"),
                ("login", "openai", "default", "ok"),
            ]
            assert [r.action for r in repository.audit(AuditQuery(provider="openai"))] == ["read", "login"]
            assert [r.action for r in repository.audit(AuditQuery(limit=2))] == ["refresh", "export"]
            assert repository.audit(AuditQuery(since=time.time() + 3600)) == []
            assert all(abs(r.at - time.time()) < 600 for r in rows)


class TestTokenReaderAgreesWithTheStore:
    """The hot path's stdlib reader must see what the full store sees."""

    def test_every_type_reads_the_same(self, tmp_path: Path) -> None:
        store = make_sqlite_store(tmp_path)
        credentials = {
            (OPENAI, DEFAULT): ApiKey(Secret("sk-d")),
            (OPENAI, WORK): ApiKey(Secret("sk-w")),
            (ANTHROPIC, DEFAULT): OAuthToken(Secret("at"), Secret("rt"), 1_900_000_000),
            (ProviderId("plain"), DEFAULT): OAuthToken(Secret("at2")),
            (ProviderId("azure"), DEFAULT): Custom({"endpoint": Secret("e"), "api_key": Secret("k")}),
        }
        with store.writing() as repository:
            for (provider, account), credential in credentials.items():
                repository.save(provider, account, credential, needs_login=provider == "plain")
        reader = SqliteTokenReader(str(tmp_path / "home"))
        with store.reading() as repository:
            for stored in repository.all():
                for account in (stored.account, None if stored.active else stored.account):
                    record = reader.read(stored.provider, account)
                    assert record is not None
                    assert record.type == stored.type
                    assert record.needs_login == stored.needs_login
                    assert record.expires_at == stored.expires_at
                    credential = stored.credential
                    if isinstance(credential, Custom):
                        assert record.custom_data == {k: v.reveal() for k, v in credential.data.items()}
                    else:
                        assert record.secret == credential.usable_secret().reveal()
                        expected_refresh = isinstance(credential, OAuthToken) and credential.can_refresh
                        assert record.has_refresh_token == expected_refresh
        assert reader.read("openai", None).secret == "sk-w"  # type: ignore[union-attr]
        assert reader.read("nobody", None) is None
        assert "sk-w" not in repr(reader.read("openai", None))
        store.dispose()

    def test_reader_declines_anything_unusual(self, tmp_path: Path) -> None:
        store = make_sqlite_store(tmp_path)
        with store.writing() as repository:
            repository.save(OPENAI, DEFAULT, ApiKey(Secret("sk")))
        store.dispose()
        home = tmp_path / "home"
        reader = SqliteTokenReader(str(home))
        assert reader.read("openai", None) is not None
        (home / "auth.db").chmod(0o644)
        assert reader.read("openai", None) is None, "a store open to others goes to the full path"
        (home / "auth.db").chmod(0o600)
        home.chmod(0o755)
        assert reader.read("openai", None) is None
        home.chmod(0o700)
        assert SqliteTokenReader(str(tmp_path / "missing")).read("openai", None) is None
