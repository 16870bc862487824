"""Text analysis: language, tokens (and later sentiment, dedup, schemes)."""
