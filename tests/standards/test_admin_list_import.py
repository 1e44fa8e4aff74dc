"""The bulk importer from the admin: upload, preview, confirm, background import."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from standards.models import Change, ChangeVia, Standard

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[1] / "data"
URL = "/en/admin/standards/standard/import-list/"


@pytest.fixture(autouse=True)
def immediate_tasks_and_private_media(settings, tmp_path, reference_tables):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(client, name: str, layout: str, content: bytes | None = None):
    with (SAMPLES / name).open("rb") as handle:
        data = content if content is not None else handle.read()
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        URL, {"file": SimpleUploadedFile(name, data, "text/csv"), "list_name": layout}
    )


def test_preview_then_confirm_imports_in_the_background(curator_client, curator):
    assert (
        'href="/en/admin/standards/standard/import-list/"'
        in curator_client.get("/en/admin/standards/standard/").content.decode()
    )
    preview = _upload(curator_client, "iso_sample.csv", "iso")
    html = preview.content.decode()
    assert "41 rows: 41 new standards, 0 already in the catalogue" in html
    assert not Standard.objects.exists()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    response = curator_client.post(URL, {"token": token, "list_name": "iso", "skip_invalid": "0"})
    assert response.status_code == 302
    assert Standard.objects.count() == 41
    assert Change.objects.filter(via=ChangeVia.IMPORT, actor=curator).count() == 41
    # The stored upload is removed once imported.
    assert not list((Path(settings.MEDIA_ROOT) / "list-imports").glob("*.csv"))


def test_a_broken_file_is_refused_with_row_errors_and_not_kept(curator_client):
    content = (SAMPLES / "iso_sample.csv").read_bytes().replace(b"2022-", b"2022-13-", 1)
    html = _upload(curator_client, "iso_sample.csv", "iso", content).content.decode()
    assert "The file was not imported. Nothing was written." in html
    assert re.search(r"Row \d+, published: .*2022-13", html)
    assert not Standard.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "list-imports").glob("*.csv"))


def test_unknown_tokens_are_rejected(curator_client):
    response = curator_client.post(URL, {"token": "../../etc/passwd", "list_name": "iso"})
    assert response.status_code == 404


def test_people_without_change_permission_cannot_import(client, django_user_model):
    staff = django_user_model.objects.create_user(
        email="viewer@example.org", password="x" * 12, is_staff=True
    )
    client.force_login(staff)
    assert client.get(URL).status_code == 403
