"""gunicorn's settings wherever it starts from the project's folder (Procfile, the
image, the benchmark): it reads this file from the working directory by default."""

from gateway.server_errors import answer_in_json

answer_in_json()
