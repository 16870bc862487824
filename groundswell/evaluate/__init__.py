"""Evaluation harness: the `groundswell eval` commands score analysis stages on labelled files."""
