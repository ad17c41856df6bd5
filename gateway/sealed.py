"""Where vault-sealed values live, so that key rotation finds every one of them.

Each app registers its sealed columns in its AppConfig.ready(); the kernel never
imports the apps. `manage.py rotate_keys` walks the registry.
"""

from django.db import transaction

from gateway import crypto

_SEALED: dict[type, tuple[str, ...]] = {}


def register(model, *columns: str) -> None:
    _SEALED[model] = columns


def sealed_columns() -> dict[type, tuple[str, ...]]:
    return dict(_SEALED)


@transaction.atomic
def rewrap_batch(model, *, after_pk: str | None, batch_size: int) -> tuple[str | None, int, int]:
    """Re-wrap the next `batch_size` rows (by id) under the current key.

    Rows already under it are left alone, so a run can stop anywhere and start again.
    Returns the last id seen (None when there is nothing left), how many rows were
    read and how many were re-wrapped.
    """
    ring = crypto.keyring()
    columns = _SEALED[model]
    queryset = model.objects.order_by("pk").only("pk", *columns).select_for_update()
    if after_pk is not None:
        queryset = queryset.filter(pk__gt=after_pk)
    rows = list(queryset[:batch_size])
    changed = []
    for row in rows:
        stale = [
            column
            for column in columns
            if getattr(row, column) and crypto.key_id(getattr(row, column)) != ring.current_id
        ]
        for column in stale:
            try:
                setattr(row, column, crypto.rewrap(getattr(row, column), ring=ring))
            except crypto.VaultError as exc:
                raise crypto.VaultError(f"{row.pk} ({column}): {exc}") from exc
        if stale:
            changed.append(row)
    if changed:
        model.objects.bulk_update(changed, columns)
    return (rows[-1].pk if rows else None), len(rows), len(changed)
