"""Shared fixtures: a desk on a temp SQLite file and, marked `postgres`, on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid

# Before anything imports groundswell.accounts: cheap argon2 parameters for test accounts.
os.environ["GROUNDSWELL_INSECURE_FAST_PASSWORD_HASHES_FOR_TESTS"] = "1"
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from groundswell.context import Desk
from groundswell.settings import load_settings
from groundswell.store.tables import metadata

KEPT_VARIABLES = {
    "GROUNDSWELL_TEST_POSTGRES_URL",
    "GROUNDSWELL_INSECURE_FAST_PASSWORD_HASHES_FOR_TESTS",
}
pytest_plugins = ["tests.support.http_server", "tests.support.receivers"]

PG_ADMIN_URL = os.environ.get(
    "GROUNDSWELL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's GROUNDSWELL_* variables or groundswell.toml."""
    for name in list(os.environ):
        if name.startswith("GROUNDSWELL_") and name not in KEPT_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("GROUNDSWELL_CONFIG", str(tmp_path_factory.getbasetemp() / "none.toml"))
    # Worker processes take seconds to start; tests that want them ask for them.
    monkeypatch.setenv("GROUNDSWELL_ANALYSIS_PROCESSES", "1")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database for this test session; in CI an unreachable server fails, not skips."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"groundswell_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        names = [t.name for t in metadata.sorted_tables if t.name != "meta"]
        query = text("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        present = {row[0] for row in conn.execute(query)}
        names = [n for n in names if n in present]
        if names:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_desk(url: str, **overrides: object) -> Desk:
    settings = load_settings(
        database_url=url,
        pseudonym_key="test-pseudonym-key",
        allowed_hosts=["127.0.0.1", "localhost"],
        per_host_interval=0.0,
        **overrides,
    )
    return Desk.open(settings)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: pytest.TempPathFactory) -> str:
    """Each test using this runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture
def desk(db_url: str) -> Iterator[Desk]:
    desk = make_desk(db_url)
    yield desk
    desk.close()
