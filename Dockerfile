# The gateway image: one image for web (gunicorn), worker and beat; non-root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=gateway.settings.prod \
    PORT=8000

WORKDIR /app
RUN groupadd --system gateway && useradd --system --gid gateway --home /app gateway

COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/base.txt

COPY --chown=gateway:gateway . .
# collectstatic loads the production settings, which require every secret; it uses
# none of them, so these placeholders exist only during this step (never in the image).
RUN SECRET_KEY=build-only API_KEY_HASH_SECRET=build-only VAULT_KEYS=build-only \
    FINGERPRINT_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var/metrics && chown -R gateway:gateway /app/var
# Every process's Prometheus counters go here; /metrics adds them up (compose shares it).
ENV PROMETHEUS_MULTIPROC_DIR=/app/var/metrics

USER gateway
EXPOSE 8000
CMD ["sh", "-c", "gunicorn gateway.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-2} --threads 4 --access-logfile -"]
