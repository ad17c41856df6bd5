"""gunicorn's settings wherever it starts from the project's folder (Procfile, the
image, the benchmark): it reads this file from the working directory by default.

Its refusals are the API's JSON errors, and its master process logs JSON lines like
the rest (the workers log through Django's LOGGING once they load the application)."""

from gateway.logging import json_console
from gateway.server_errors import answer_in_json

answer_in_json()

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    **json_console(),
    "root": {"handlers": ["console"]},
    # No level: gunicorn's --log-level keeps deciding.
    "loggers": {
        name: {"handlers": ["console"], "propagate": False}
        for name in ("gunicorn.error", "gunicorn.access")
    },
}
