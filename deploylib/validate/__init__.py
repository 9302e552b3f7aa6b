"""Validation of a live release: checks and their evaluation."""
