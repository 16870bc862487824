"""Normalisation: raw items from sources into clean, deduplicable posts."""
