"""gunicorn's settings wherever it starts from the project's folder (Procfile, the
image, the benchmark): it reads this file from the working directory by default.

Its refusals are the API's JSON errors, and its master process logs JSON lines like
the rest, at LOG_LEVEL (the workers log through Django's LOGGING once they load the
application)."""

import os

from gateway.logging import json_console, request_id_var
from gateway.server_errors import answer_in_json
from gateway.settings_module import use_settings_module

answer_in_json()
use_settings_module()  # LOG_LEVEL may come from .env, as the workers' settings read it

# The master's lines too (Starting, Listening, Booting worker): an explicit
# --log-level still wins.
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
# gunicorn's control socket (gunicornc) is not used; without this it is created in
# $HOME, which the image's user cannot write (an ERROR line at every start).
control_socket_disable = True


def post_request(worker, req, environ, resp) -> None:
    """After the access line: the request's id is not left for the thread's next line
    (gunicorn's own, before the next request has an id of its own)."""
    request_id_var.set(None)


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
