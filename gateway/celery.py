"""The Celery application; configuration comes from Django settings (CELERY_*)."""

from celery import Celery
from celery.signals import before_task_publish, task_prerun

from gateway.logging import origin_request_id_var, request_id_var
from gateway.settings_module import use_settings_module

use_settings_module()

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


ORIGIN_HEADER = "origin_request_id"


@before_task_publish.connect
def _carry_the_request_id(headers: dict, **kwargs) -> None:
    """A task sent while serving a request, or by a task that was, logs with its id."""
    origin = request_id_var.get() or origin_request_id_var.get()
    if origin:
        headers.setdefault(ORIGIN_HEADER, origin)


@task_prerun.connect
def _log_with_the_request_id(task, **kwargs) -> None:
    origin_request_id_var.set(task.request.get(ORIGIN_HEADER))
