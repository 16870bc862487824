"""Events: online, time-aware clustering of posts into stories about one happening."""

from groundswell.analyze.events.clustering import EventClusterer
from groundswell.analyze.events.config import EventConfig, EventItem
from groundswell.analyze.events.summary import EventSummary

__all__ = ["EventClusterer", "EventConfig", "EventItem", "EventSummary"]
