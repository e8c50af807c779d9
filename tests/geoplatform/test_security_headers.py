"""Every page carries browser security headers; the pages still work under the Content-Security-Policy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = _directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline script in our pages
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert "data:" in csp["img-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_api_answers_carry_them_too(client):
    response = client.get("/api/v1/datasets/")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_swagger_ui_may_run_its_inline_starter_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert _directives(response)["script-src"] == "'self' 'unsafe-inline'"


def test_extra_sources_for_external_base_maps(client, settings):
    settings.CSP_EXTRA_SOURCES = ["https://tiles.example.org"]
    csp = _directives(client.get("/"))
    assert "https://tiles.example.org" in csp["img-src"]
    assert "https://tiles.example.org" in csp["connect-src"]
    assert "https://tiles.example.org" not in csp["script-src"]


def test_session_and_csrf_cookies_are_secure_in_production():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GP_")}
    code = (
        "import geoplatform.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**clean, "GP_SECRET_KEY": "x" * 50, "GP_ALLOWED_HOSTS": "geo.example.org"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True"]
