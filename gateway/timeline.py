"""Rows that other apps add to the admin's timeline of an object's events.

A payment's page lists its events; what became of each event elsewhere (webhooks'
deliveries) belongs to apps the payments app does not import. They register a source
in their `ready()`; the page asks every source about its events.
"""

from collections.abc import Callable, Iterable

EventRowsSource = Callable[[list[str]], Iterable[dict]]

_sources: list[EventRowsSource] = []


def event_rows_register(source: EventRowsSource) -> None:
    """`source(event_ids)` returns timeline rows: dicts of `at`, `kind`, `what`, `detail`."""
    if source not in _sources:
        _sources.append(source)


def event_rows(event_ids: list[str]) -> list[dict]:
    return [row for source in _sources for row in source(event_ids)]
