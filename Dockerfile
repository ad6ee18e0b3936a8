FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 sam
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir pip==26.3 \
 && pip install --no-cache-dir -c constraints.txt -e . \
 && python manage.py collectstatic --no-input -v 0 --settings sam.settings_collectstatic \
 && mkdir -p /app/var/media && chown -R sam:sam /app/var
USER sam
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "sam.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
