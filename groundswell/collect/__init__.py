"""Collection: the polite fetcher and the per-source scheduler."""
