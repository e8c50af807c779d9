"""The rights matrix: role × endpoint × dataset state. Every URL of the platform must have a row here."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from catalogue.models import Dataset
from tests.conftest import import_now, token_client
from tests.sample_data import shapefile_zip

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["anonymous", "reader", "member_a", "producer_a", "producer_b", "admin"]
READERS_OF_PRIVATE = {"member_a", "producer_a", "admin"}
EDITORS = {"producer_a", "admin"}


def _wms(action: str, ds: Dataset) -> dict:
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": action}
    if action == "GetMap":
        params.update(
            LAYERS=ds.layer_name,
            STYLES="",
            CRS=f"EPSG:{ds.srid}",
            BBOX=",".join(map(str, ds.bbox)),
            WIDTH="64",
            HEIGHT="64",
            FORMAT="image/png",
        )
    return params


def _denied(response) -> bool:
    """Refused without saying whether the dataset exists: 404, or a login prompt / 401 for anonymous callers."""
    if response.status_code in (401, 404):
        return True
    return response.status_code == 302 and "/comptes/login/" in response["Location"]


@dataclass
class Row:
    kind: str  # read, edit, or public-only
    request: Callable  # (client, api_client, dataset, job_id) -> response
    allowed: Callable  # (response, dataset, job_id) -> bool
    lists: bool = False  # a listing refuses by leaving the dataset out, not by an error


def _status(code: int) -> Callable:
    return lambda r, d, j: r.status_code == code


def _redirects_to(path: str) -> Callable:
    return lambda r, d, j: r.status_code == 302 and r["Location"].endswith(path.format(d=d, j=j))


def _lists_title(r, d, j) -> bool:
    return r.status_code == 200 and d.title in r.content.decode()


def _lists_id(r, d, j) -> bool:
    return r.status_code == 200 and any(item["id"] == d.pk for item in r.json()["results"])


MATRIX = {
    "catalogue:home": Row("public-only", lambda c, a, d, j: c.get("/"), _lists_title, lists=True),
    "catalogue:datasets": Row("read", lambda c, a, d, j: c.get("/donnees/"), _lists_title, lists=True),
    "catalogue:dataset": Row("read", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/"), _status(200)),
    "catalogue:edit": Row("edit", lambda c, a, d, j: c.get(f"/donnees/{d.pk}/modifier/"), _status(200)),
    "catalogue:publish": Row(
        "edit", lambda c, a, d, j: c.post(f"/donnees/{d.pk}/publier/"), _redirects_to("/donnees/{d.pk}/")
    ),
    "wxs:dataset_ows GetMap": Row(
        "read",
        lambda c, a, d, j: c.get(f"/ows/dataset/{d.pk}", _wms("GetMap", d)),
        lambda r, d, j: r.status_code == 200 and r["Content-Type"] == "image/png",
    ),
    "wxs:dataset_ows GetCapabilities": Row(
        "read",
        lambda c, a, d, j: c.get(f"/ows/dataset/{d.pk}", _wms("GetCapabilities", d)),
        lambda r, d, j: r.status_code == 200 and b"WMS_Capabilities" in r.content,
    ),
    "api:dataset-list": Row("read", lambda c, a, d, j: a.get("/api/v1/datasets/"), _lists_id, lists=True),
    "api:dataset-detail": Row("read", lambda c, a, d, j: a.get(f"/api/v1/datasets/{d.pk}/"), _status(200)),
    "api:dataset-publish": Row("edit", lambda c, a, d, j: a.post(f"/api/v1/datasets/{d.pk}/publish/"), _status(200)),
    # Without a file an entitled caller gets a validation error; others learn nothing.
    "api:dataset-data": Row(
        "edit", lambda c, a, d, j: a.post(f"/api/v1/datasets/{d.pk}/data/", {}, format="multipart"), _status(400)
    ),
    "importer:import": Row("edit", lambda c, a, d, j: c.get(f"/import/?dataset={d.pk}"), _status(200)),
    "importer:job": Row("edit", lambda c, a, d, j: c.get(f"/import/jobs/{j}/"), _status(200)),
    "importer:job_cancel": Row(
        "edit", lambda c, a, d, j: c.post(f"/import/jobs/{j}/cancel/"), _redirects_to("/import/jobs/{j}/")
    ),
    "importer:job_retry": Row(
        "edit", lambda c, a, d, j: c.post(f"/import/jobs/{j}/retry/"), _redirects_to("/import/jobs/{j}/")
    ),
    "api:job": Row("edit", lambda c, a, d, j: a.get(f"/api/v1/jobs/{j}/"), _status(200)),
    "api:job-cancel": Row("edit", lambda c, a, d, j: a.post(f"/api/v1/jobs/{j}/cancel/"), _status(200)),
}

# URLs that serve no dataset, with the reason they are outside the matrix. Tested in their own files.
NOT_DATASET_SCOPED = {
    "api:api-root",
    "api:token",
    "schema",
    "api-docs",
    "healthz",
    "profile",
    "set_language",
    "importer:upload_create",
    "importer:upload",
    "importer:upload_complete",  # owner-only: test_chunked_upload
}
NOT_DATASET_SCOPED_PREFIXES = ("account_", "admin:", "socialaccount_", "mfa_", "usersessions_", "headless:")


def _url_names(resolver=None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _url_names(pattern, prefix + (f"{pattern.namespace}:" if pattern.namespace else ""))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_endpoint_has_a_row():
    covered = {name.split(" ")[0] for name in MATRIX} | NOT_DATASET_SCOPED
    missing = {name for name in _url_names() - covered if not name.startswith(NOT_DATASET_SCOPED_PREFIXES)}
    assert not missing, f"endpoints without a row in the rights matrix: {sorted(missing)}"


@pytest.fixture
def users(producer_a, producer_b, member_a, reader, admin_user):
    return {
        "producer_a": producer_a,
        "producer_b": producer_b,
        "member_a": member_a,
        "reader": reader,
        "admin": admin_user,
    }


@pytest.fixture
def private_dataset(organisations, producer_a, tmp_path):
    job = import_now(producer_a, organisations["a"], shapefile_zip(tmp_path), "Parcelles test")
    return job


def _clients(role: str, users: dict):
    from django.test import Client
    from rest_framework.test import APIClient

    if role == "anonymous":
        return Client(), APIClient()
    client = Client()
    client.force_login(users[role])
    return client, token_client(users[role])


def _allowed_for(kind: str, role: str, public: bool) -> bool:
    if kind == "read":
        return public or role in READERS_OF_PRIVATE
    if kind == "public-only":
        return public
    return role in EDITORS


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
@pytest.mark.parametrize("role", ROLES)
def test_rights_matrix(role, public, users, private_dataset):
    job = private_dataset
    dataset = job.dataset
    mismatches = []
    for name, row in MATRIX.items():
        Dataset.objects.filter(pk=dataset.pk).update(public=public, published_at=None)
        dataset.refresh_from_db()
        client, api = _clients(role, users)
        response = row.request(client, api, dataset, job.pk)
        expected = _allowed_for(row.kind, role, public)
        granted = row.allowed(response, dataset, job.pk)
        if expected and not granted:
            mismatches.append(f"{name}: refused ({response.status_code}) but should be allowed")
        elif not expected and granted:
            mismatches.append(f"{name}: allowed but should be refused")
        elif not expected and not row.lists and not _denied(response):
            mismatches.append(f"{name}: refused with {response.status_code}, which tells the dataset exists")
        if not expected and dataset.title.encode() in getattr(response, "content", b""):
            mismatches.append(f"{name}: the private title leaks in the response")
    assert not mismatches, f"{role} on a {'public' if public else 'private'} dataset:\n" + "\n".join(mismatches)
