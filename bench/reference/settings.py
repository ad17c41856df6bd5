"""The gateway's settings plus the reference endpoint (`POST /bench/insert`).

DJANGO_SETTINGS_MODULE=bench.reference.settings manage.py migrate --run-syncdb
"""

from gateway.settings.dev import *  # noqa: F403
from gateway.settings.dev import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.reference"]
ROOT_URLCONF = "bench.reference.urls"
