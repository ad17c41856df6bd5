"""Re-wrap every sealed column under the current vault key (the first of VAULT_KEYS)."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gateway import crypto, sealed


class Command(BaseCommand):
    help = (
        "Re-wrap the data keys of every sealed value under the current vault key. "
        "Resumable: rows already under the current key are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args, batch_size: int, verbosity: int = 1, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        current = crypto.keyring().current_id
        total_rewrapped = total_rows = 0
        for model in sealed.sealed_columns():
            label = model._meta.verbose_name_plural
            rewrapped = 0
            with tqdm(
                total=model.objects.count(),
                desc=f"Re-wrapping {label}",
                unit="row",
                file=sys.stderr,
                disable=verbosity == 0,
            ) as progress:
                last_pk = None
                while True:
                    try:
                        last_pk, seen, changed = sealed.rewrap_batch(
                            model, after_pk=last_pk, batch_size=batch_size
                        )
                    except crypto.VaultError as exc:
                        raise CommandError(
                            f"{label}: row {exc}. Is every older key still in VAULT_KEYS?"
                        ) from exc
                    if last_pk is None:
                        break
                    rewrapped += changed
                    total_rows += seen
                    progress.update(seen)
            total_rewrapped += rewrapped
            if verbosity > 1:
                self.stdout.write(f"{label}: {rewrapped} re-wrapped")
        self.stdout.write(
            f"Re-wrapped {total_rewrapped} of {total_rows} sealed rows under key {current!r} "
            f"({total_rows - total_rewrapped} already were)."
        )
