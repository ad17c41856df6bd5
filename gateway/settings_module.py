"""Which settings a process loads: `DJANGO_SETTINGS_MODULE` from the environment, else
from the project's `.env` (as every other setting is read), else the embedded
default. Each entry point (manage.py, wsgi, asgi, the Celery app) calls this before
Django reads its settings, which is too late to choose them."""

import os
from pathlib import Path

import environ

DEFAULT = "gateway.settings.dev"
ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def use_settings_module(env_file: Path = ENV_FILE) -> None:
    environ.Env.read_env(env_file, overwrite=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT)
