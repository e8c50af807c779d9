"""The menu offers what the visitor may do."""

import pytest

pytestmark = pytest.mark.django_db


def _has_import_link(client) -> bool:
    return 'href="/import/"' in client.get("/").content.decode()


def test_import_entry_only_for_producers(client, producer_a, reader):
    assert not _has_import_link(client)
    client.force_login(reader)
    assert not _has_import_link(client)
    client.force_login(producer_a)
    assert _has_import_link(client)
