"""Build and serve the sandbox WSGI app: moto's dispatcher wrapped by the extensions."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)


class SandboxError(RuntimeError):
    """A one-line, user-facing problem starting or reaching the sandbox."""


def ensure_loopback(host: str) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SandboxError(f"cannot resolve host {host!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise SandboxError(f"refusing to serve on {host}: the sandbox serves only on loopback (127.0.0.1)")


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SandboxError(f"port {port} on {host} is already in use") from exc
            raise SandboxError(f"cannot bind {host}:{port}: {exc}") from exc


def configure_environment() -> None:
    # AWS managed policies (AmazonSageMakerFullAccess, ...) must exist for Terraform to attach them.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    # Account ids come from credentials; a global override would collapse every account into one.
    os.environ.pop("MOTO_ACCOUNT_ID", None)


def serialized(app: Any) -> Any:
    """One request at a time inside moto, whose backends are not thread-safe: two concurrent creates in a
    fresh account could race (Terraform applies three roots at once in the demo). The server stays threaded
    so an SQS long poll, which waits without holding the lock, never blocks everyone else."""
    lock = threading.RLock()

    def app_serialized(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").endswith("ReceiveMessage"):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    return app_serialized


def build_app() -> Any:
    configure_environment()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from sandbox import ext
    from sandbox.ext import chaos  # noqa: F401 (ext.chaos, loaded by apply_all)

    ext.apply_all()
    # chaos answers outside moto's lock, so an injected delay never holds other callers up
    return ext.chaos.outermost(serialized(ext.wrap_all(DomainDispatcherApplication(create_backend_app))))


def serve(host: str, port: int) -> None:
    """Serve in the foreground until interrupted."""
    ensure_loopback(host)
    ensure_port_free(host, port)
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    app = build_app()
    log.info("sandbox listening on http://%s:%d", host, port)
    run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=MotoRequestHandler)
