"""The running desk: settings, the database engine and the shared pipeline parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from groundswell.collect.fetcher import FetchPolicy
from groundswell.normalize.post import Normaliser
from groundswell.settings import Settings
from groundswell.store.database import make_engine, migrate, pseudonym_key

if TYPE_CHECKING:
    from groundswell.pipeline import Pipeline


@dataclass
class Desk:
    """Everything a command, API request or worker needs, built once from settings."""

    settings: Settings
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url)

    @classmethod
    def open(cls, settings: Settings, *, migrate_schema: bool = True) -> Desk:
        desk = cls(settings)
        if migrate_schema:
            migrate(desk.engine)
        return desk

    @cached_property
    def pseudonym_key(self) -> str:
        return pseudonym_key(self.engine, self.settings.pseudonym_key)

    @cached_property
    def normaliser(self) -> Normaliser:
        return Normaliser(self.pseudonym_key, max_text_chars=self.settings.max_text_chars)

    @cached_property
    def pipeline(self) -> Pipeline:
        """Normalise, analyse, store: models and indexes load on first use."""
        from groundswell.pipeline import Pipeline

        return Pipeline(self.settings, self.engine, self.normaliser, self.pseudonym_key)

    def fetch_policy(self) -> FetchPolicy:
        s = self.settings
        return FetchPolicy(
            user_agent=s.user_agent,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            total_timeout=s.total_timeout,
            max_body_bytes=s.max_body_bytes,
            per_host_interval=s.per_host_interval,
            per_host_concurrency=s.per_host_concurrency,
            max_retries=s.max_retries,
            respect_robots=s.respect_robots,
            allow_private=s.allow_private_addresses,
            allowed_hosts=frozenset(s.allowed_hosts),
        )

    def close(self) -> None:
        if "pipeline" in self.__dict__:
            self.pipeline.close()
        self.engine.dispose()
