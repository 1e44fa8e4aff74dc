"""Every write path (save_record, the admin, an import) writes the same Change rows."""

import datetime

import pytest

from sectors.models import Sector
from standards import changes
from standards.models import Change, ChangeKind, ChangeVia
from tests.factories import cite, make_regulation, make_standard
from tests.forms import form_data, form_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def hair_dryer_standard(sectors):
    standard = make_standard(
        "GB 4706.15-2008",
        title_en="Household and similar electrical appliances - Safety - "
        "Particular requirements for skin and hair care appliances",
        title_zh_hans="家用和类似用途电器的安全 皮肤及毛发护理器具的特殊要求",
        issued_date=datetime.date(2008, 12, 30),
        implementation_date=datetime.date(2010, 10, 1),
    )
    standard.sectors.set([Sector.objects.get(slug="electrical-equipment")])
    return standard


def _rows(**filters):
    return [
        (c.kind, c.fields, sorted(c.sectors.values_list("slug", flat=True)))
        for c in Change.objects.filter(**filters).order_by("id")
    ]


EXPECTED = [
    (
        ChangeKind.DATES,
        {"implementation_date": ["2010-10-01", "2011-01-01"]},
        ["electrical-equipment"],
    )
]


def test_save_record_writes_the_changed_fields(hair_dryer_standard, curator):
    hair_dryer_standard.implementation_date = datetime.date(2011, 1, 1)
    written = changes.save_record(hair_dryer_standard, actor=curator, via=ChangeVia.API)
    assert len(written) == 1
    assert _rows(via=ChangeVia.API) == EXPECTED
    assert written[0].actor == curator


def test_admin_edit_writes_the_same_rows(hair_dryer_standard, curator_client):
    url = f"/en/admin/standards/standard/{hair_dryer_standard.pk}/change/"
    data = form_data(curator_client.get(url).content.decode(), "standard_form")
    data["implementation_date"] = "2011-01-01"
    response = curator_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert _rows(via=ChangeVia.ADMIN) == EXPECTED
    # simple-history keeps the edit too, with who made it.
    latest = hair_dryer_standard.history.first()
    assert latest.history_user.email == "mei@curators.example"
    assert latest.implementation_date == datetime.date(2011, 1, 1)


def test_import_writes_the_same_rows(hair_dryer_standard, curator_client):
    from tests.standards.test_admin_import import admin_import, export_csv

    csv_text = export_csv(curator_client).replace("2010-10-01", "2011-01-01")
    result = admin_import(curator_client, csv_text)
    assert result.confirmed, result.errors
    assert _rows(via=ChangeVia.IMPORT) == EXPECTED


def test_unpublished_records_write_nothing_until_published(sectors, curator):
    standard = make_standard("GB 6675.1-2014", published=False)
    standard.implementation_date = datetime.date(2016, 1, 1)
    assert changes.save_record(standard, via=ChangeVia.ADMIN) == []
    standard.published = True
    assert [c.kind for c in changes.save_record(standard, via=ChangeVia.ADMIN)] == [ChangeKind.NEW]


def test_saving_without_changes_writes_nothing(hair_dryer_standard):
    assert changes.save_record(hair_dryer_standard, via=ChangeVia.ADMIN) == []


def test_withdrawal_and_replacement_are_named(hair_dryer_standard):
    hair_dryer_standard.stage = "withdrawn"
    hair_dryer_standard.withdrawn_date = datetime.date(2026, 5, 1)
    (change,) = changes.save_record(hair_dryer_standard, via=ChangeVia.ADMIN)
    assert change.kind == ChangeKind.WITHDRAWN
    assert change.fields["stage"] == ["published", "withdrawn"]
    assert change.fields["withdrawn_date"] == [None, "2026-05-01"]


def test_citation_changes_are_recorded_against_standard_and_regulation(sectors):
    standard = make_standard("EN 71-1:2014+A1:2018")
    regulation = make_regulation("Directive 2009/48/EC")
    citation = cite(regulation, standard, date_cited=datetime.date(2019, 1, 1))
    before = changes.snapshot(type(citation), [])
    (cited,) = changes.record_changes(type(citation), before, [citation.pk], via=ChangeVia.IMPORT)
    assert (cited.kind, cited.standard, cited.regulation) == (
        ChangeKind.CITED,
        standard,
        regulation,
    )
    citation.presumption_ends = datetime.date(2027, 6, 30)
    (ending,) = changes.save_record(citation, via=ChangeVia.IMPORT)
    assert ending.kind == ChangeKind.CITATION_ENDING
    assert ending.fields == {"presumption_ends": [None, "2027-06-30"]}


def test_replacement_added_in_the_admin_is_recorded_on_the_old_standard(curator_client, sectors):
    old = make_standard(
        "GB 4706.1-2005", title_zh_hans="家用和类似用途电器的安全 第1部分：通用要求"
    )
    new = make_standard(
        "GB 4706.1-2024", title_zh_hans="家用和类似用途电器的安全 第1部分：通用要求"
    )
    url = f"/en/admin/standards/standard/{new.pk}/change/"
    data = form_data(curator_client.get(url).content.decode(), "standard_form")
    data.update({
        "replacements-TOTAL_FORMS": "1", "replacements-0-old": str(old.pk),
        "replacements-0-extent": "whole", "replacements-0-new": str(new.pk),
    })  # fmt: skip
    response = curator_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    on_old = Change.objects.get(standard=old)
    assert on_old.kind == ChangeKind.REPLACED
    assert on_old.fields == {"replaced_by": [[], ["GB 4706.1-2024 (whole)"]]}
    on_new = Change.objects.get(standard=new)
    assert on_new.fields == {"replaces": [[], ["GB 4706.1-2005 (whole)"]]}


def test_change_log_is_read_only_for_everyone(curator_client, hair_dryer_standard):
    hair_dryer_standard.implementation_date = datetime.date(2011, 1, 1)
    (change,) = changes.save_record(hair_dryer_standard, via=ChangeVia.ADMIN)
    page = curator_client.get(f"/en/admin/standards/change/{change.pk}/change/")
    assert page.status_code == 200
    assert b'name="kind"' not in page.content
    edit = curator_client.post(
        f"/en/admin/standards/change/{change.pk}/change/", {"kind": "new", "via": "api"}
    )
    assert edit.status_code == 403
    change.refresh_from_db()
    assert (change.kind, change.via) == (ChangeKind.DATES, ChangeVia.ADMIN)
    assert curator_client.get("/en/admin/standards/change/add/").status_code == 403
