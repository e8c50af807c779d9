"""Production defaults: no secret key, no start; DEBUG off unless asked."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GP_")}
    return subprocess.run(
        [sys.executable, "-c", "import geoplatform.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_in_production():
    result = _import_settings()
    assert result.returncode != 0
    assert "GP_SECRET_KEY" in result.stderr


def test_production_defaults_are_safe():
    result = _import_settings(GP_SECRET_KEY="x" * 50, GP_ALLOWED_HOSTS="geo.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_bad_theme_colour_names_the_setting():
    result = _import_settings(GP_DEMO="1", GP_PRIMARY_COLOR="blue")
    assert result.returncode != 0
    assert "GP_PRIMARY_COLOR" in result.stderr
