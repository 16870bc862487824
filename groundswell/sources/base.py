"""The seam every source kind plugs into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from groundswell.collect.fetcher import PoliteFetcher
from groundswell.models import SourceBatch


class SourceConfig(BaseModel):
    """Base of every source kind's typed config; unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class CollectContext:
    """What a source needs for one collection: the shared fetcher and its saved state."""

    fetcher: PoliteFetcher
    state: dict[str, Any] = field(default_factory=dict)  # kept between runs (etag, cursor...)


class Source:
    """A source kind: a `kind` name, a typed `Config` and one `collect` method.

    Pull sources fetch in `collect`; push sources receive batches through the
    API and return an empty batch from `collect`.
    """

    kind: ClassVar[str]
    title: ClassVar[str]
    Config: ClassVar[type[SourceConfig]]
    pull: ClassVar[bool] = True

    def __init__(self, config: SourceConfig) -> None:
        self.config = config

    async def collect(self, ctx: CollectContext) -> SourceBatch:
        raise NotImplementedError
