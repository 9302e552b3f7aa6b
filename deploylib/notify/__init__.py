"""Notifications of deploy outcomes."""
