"""Logos are served to everyone; uploaded data files under the same media folder never are."""

import pytest

pytestmark = pytest.mark.django_db


def test_logo_is_served_and_data_is_not(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "commune.png").write_bytes(b"\x89PNG\r\n\x1a\nlogo")
    (tmp_path / "uploads" / "abc").mkdir(parents=True)
    (tmp_path / "uploads" / "abc" / "private.zip").write_bytes(b"PK secret")
    (tmp_path / "rasters").mkdir()
    (tmp_path / "rasters" / "ds1_v1.tif").write_bytes(b"II*\x00")

    logo = client.get("/media/logos/commune.png")
    assert logo.status_code == 200
    assert b"".join(logo.streaming_content).endswith(b"logo")
    for path in ("uploads/abc/private.zip", "rasters/ds1_v1.tif", "logos/../uploads/abc/private.zip", "logos/none.png"):
        assert client.get(f"/media/{path}").status_code == 404, path
