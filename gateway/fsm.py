"""The base of models whose state is a protected django-fsm field.

django-fsm-2's `refresh_from_db` lets the reload through a protected field by turning
`protected` off on the field itself, which every instance in every thread shares,
and on again afterwards. Two threads of one process refreshing at once (gunicorn
`--threads`) turn it back on under each other, and one reload fails with "Direct
status modification is not allowed" after its request's changes have committed.
Here only the instance being reloaded forgets its state first: a protected field's
descriptor lets the first value of an instance through.
"""

from django.db import models
from django_fsm import ConcurrentTransitionMixin


class StateMachineModel(ConcurrentTransitionMixin, models.Model):
    class Meta:
        abstract = True

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        protected = self._get_protected_fsm_fields()
        forgotten = {name: self.__dict__.pop(name) for name in protected if name in self.__dict__}
        try:
            models.Model.refresh_from_db(
                self, using=using, fields=fields, from_queryset=from_queryset
            )
        finally:
            for name, value in forgotten.items():  # not reloaded, or the reload failed
                self.__dict__.setdefault(name, value)
        self._update_initial_state()
