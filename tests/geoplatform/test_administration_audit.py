"""The audit log page: every administrative change with who, when and what changed, filterable, paginated."""

import datetime

import pytest
from django.utils import timezone

from geoplatform.models import AuditEvent, Domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(client, admin_user, reader, organisations):
    """A few real changes made through the pages."""
    client.force_login(admin_user)
    client.post("/administration/domaines/nouveau/", {"name": "Environnement"})
    client.post(f"/administration/utilisateurs/{reader.pk}/", {"action": "deactivate"})
    client.post(
        f"/administration/organisations/{organisations['a'].pk}/",
        {"name": "Commune A", "slug": "commune-a", "website": "https://commune-a.example.org"},
    )
    return client


def test_changes_are_shown_as_a_table_of_changed_keys(history):
    page = history.get("/administration/journal/").content.decode()
    assert "3 événements" in page
    assert "organisation.update" in page and "user.deactivate" in page and "domain.create" in page
    update = page[page.index("organisation.update") :]
    update = update[: update.index("</table>")]
    assert "<code>website</code>" in update and "https://commune-a.example.org" in update
    assert "<code>name</code>" not in update  # unchanged keys are left out


def test_filters(history, admin_user):
    def shown(**params) -> set[str]:
        page = history.get("/administration/journal/", params).content.decode()
        return {a for a in ("organisation.update", "user.deactivate", "domain.create") if f"<code>{a}</code>" in page}

    assert shown(action="user.deactivate") == {"user.deactivate"}
    assert shown(target_type="geoplatform.domain") == {"domain.create"}
    assert shown(actor="admin") == {"organisation.update", "user.deactivate", "domain.create"}
    assert shown(actor="lecteur") == set()
    today = timezone.localdate()
    assert len(shown(since=today.isoformat(), until=today.isoformat())) == 3
    assert shown(until=(today - datetime.timedelta(days=1)).isoformat()) == set()


def test_pagination(client, admin_user):
    domain = Domain.objects.create(name="Eau", slug="eau")
    AuditEvent.objects.bulk_create(
        AuditEvent(actor=admin_user, action="domain.update", target_type="geoplatform.domain", target_id=str(domain.pk))
        for _ in range(60)
    )
    client.force_login(admin_user)
    first = client.get("/administration/journal/", {"action": "domain.update"}).content.decode()
    assert "Page 1 sur 2" in first and "action=domain.update&amp;page=2" in first
    second = client.get("/administration/journal/", {"action": "domain.update", "page": 2}).content.decode()
    assert second.count("<code>domain.update</code>") == 10
