"""Repost and near-duplicate merging: posts sharing one text form one story.

`StoryIndex.assign` puts each post in a story (the earliest member is the
original); `fingerprint` is what the store keeps per post so that
`StoryIndex.restore` can rebuild the index after a restart. Different articles
about the same happening are not duplicates: that is the events analyser's job.
"""

from groundswell.analyze.dedup.fingerprint import fingerprint
from groundswell.analyze.dedup.repost_text import canonical_text
from groundswell.analyze.dedup.similarity import MatchRules
from groundswell.analyze.dedup.stories import StoryAssignment, StoryIndex, StoryItem

__all__ = [
    "MatchRules",
    "StoryAssignment",
    "StoryIndex",
    "StoryItem",
    "canonical_text",
    "fingerprint",
]
