"""The error ``make up`` stops on: it prints the message and exits with status 1."""

from __future__ import annotations


class UpError(Exception):
    """A step failed; the message says which and why."""
