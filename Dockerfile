# alerthub: a slim image that runs as an unprivileged user, with every extra (Apprise, GA4, PostgreSQL).
# The entrypoint (deploy/docker-entrypoint.sh) runs the same `alerthub serve` the fault tests start when
# given options, and any other alerthub command when given one (tests/test_deploy_files.py runs it):
#   docker run ... alerthub --host 0.0.0.0 --port 8000 --role api|worker|all
#   docker run ... alerthub tokens create --scope admin --name ops
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --prefix=/install '.[all]'

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/alerthub --create-home alerthub
COPY --from=build /install /usr/local
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/alerthub-entrypoint
# ./alerthub.yaml here is read when present (mount it read-only), and SQLite's default
# ./data/alerthub.db lands in the volume below; use PostgreSQL for more than one instance.
RUN mkdir -p /var/lib/alerthub/data && chown alerthub:alerthub /var/lib/alerthub/data
VOLUME ["/var/lib/alerthub/data"]
USER alerthub
WORKDIR /var/lib/alerthub
EXPOSE 8000
# uvicorn drains in-flight requests on SIGTERM (server.shutdown_timeout, 20 s by default), then the
# background loops stop: give `docker stop` more than that (--time 35) before it sends SIGKILL.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
ENTRYPOINT ["alerthub-entrypoint"]
CMD ["--host", "0.0.0.0", "--port", "8000", "--role", "all"]
