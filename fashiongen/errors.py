"""The project's own error types; the UI adapter turns them into messages for the user."""

from __future__ import annotations


class InputError(ValueError):
    """A request the user can fix; the message says what is wrong and what to do."""


class ModelUnavailable(RuntimeError):
    """A feature whose model could not be loaded on this server; the message says why."""
