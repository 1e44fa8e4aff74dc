"""Every write path (save_record, the admin, an import) writes the same Change rows."""

import datetime

import pytest

from sectors.models import Sector
from standards import changes
from standards.models import Change, ChangeKind, ChangeVia, Replacement
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


# Event dates: a change is dated by the event it reports, not by when it was recorded.

RECORDED = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
RECORDED_ON = RECORDED.date()


@pytest.fixture
def recording_day():
    import time_machine

    with time_machine.travel(RECORDED, tick=False):
        yield


def _published(standard) -> Change:
    standard.published = True
    (change,) = changes.save_record(standard, via=ChangeVia.IMPORT)
    return change


def test_a_new_standard_is_dated_by_its_issue_date(recording_day, sectors):
    issued = _published(
        make_standard(
            "GB 4706.15-2008",
            published=False,
            issued_date=datetime.date(2008, 12, 30),
            implementation_date=datetime.date(2010, 10, 1),
        )
    )
    assert (issued.kind, issued.occurred_on) == (ChangeKind.NEW, datetime.date(2008, 12, 30))
    assert issued.created_at == RECORDED  # when CESIP learnt it
    # No issue date: the implementation date; neither: the year in the identifier.
    applied = _published(
        make_standard(
            "GB 6675.1-2014", published=False, implementation_date=datetime.date(2016, 1, 1)
        )
    )
    assert applied.occurred_on == datetime.date(2016, 1, 1)
    undated = _published(make_standard("GB 24330-2009", published=False))
    assert undated.occurred_on == datetime.date(2009, 1, 1)


def test_a_withdrawal_is_dated_by_its_withdrawal_date(recording_day, hair_dryer_standard):
    hair_dryer_standard.stage = "withdrawn"
    hair_dryer_standard.withdrawn_date = datetime.date(2020, 5, 1)
    (change,) = changes.save_record(hair_dryer_standard, via=ChangeVia.ADMIN)
    assert (change.kind, change.occurred_on) == (ChangeKind.WITHDRAWN, datetime.date(2020, 5, 1))
    assert Change.objects.get(pk=change.pk).occurred_on == datetime.date(2020, 5, 1)


def test_future_dates_are_capped_at_the_recording_day(recording_day, hair_dryer_standard):
    # A withdrawal announced for later is news on the day it is recorded.
    hair_dryer_standard.stage = "withdrawn"
    hair_dryer_standard.withdrawn_date = datetime.date(2026, 5, 1)
    (withdrawal,) = changes.save_record(hair_dryer_standard, via=ChangeVia.ADMIN)
    assert withdrawal.occurred_on == RECORDED_ON
    upcoming = _published(
        make_standard(
            "GB 4706.1-2027",
            published=False,
            issued_date=datetime.date(2026, 6, 1),
            implementation_date=datetime.date(2027, 6, 1),
        )
    )
    assert upcoming.occurred_on == RECORDED_ON


def test_edits_are_dated_by_the_day_they_are_recorded(recording_day, hair_dryer_standard):
    hair_dryer_standard.implementation_date = datetime.date(2011, 1, 1)
    hair_dryer_standard.title_en = "Skin and hair care appliances"
    written = changes.save_record(hair_dryer_standard, via=ChangeVia.ADMIN)
    assert {c.kind: c.occurred_on for c in written} == {
        ChangeKind.DATES: RECORDED_ON,
        ChangeKind.TRANSLATION: RECORDED_ON,
    }


def test_replacement_is_dated_by_when_the_new_edition_applies(recording_day, sectors):
    old = make_standard("GB 6675.1-2014", issued_date=datetime.date(2014, 5, 6))
    new = make_standard(
        "GB 6675.1-2025",
        issued_date=datetime.date(2025, 4, 25),
        implementation_date=datetime.date(2026, 11, 1),  # after the recording day
    )
    before = changes.snapshot(type(old), [old.pk, new.pk])
    Replacement.objects.create(old=old, new=new, extent="whole")
    written = changes.record_changes(type(old), before, [old.pk, new.pk], via=ChangeVia.IMPORT)
    # The new edition applies later: the replacement is dated by its issue; and learning
    # what a standard replaces reports its publication.
    assert {(c.standard, c.kind): c.occurred_on for c in written} == {
        (old, ChangeKind.REPLACED): datetime.date(2025, 4, 25),
        (new, ChangeKind.UPDATED): datetime.date(2025, 4, 25),
    }


def test_citations_are_dated_by_the_date_cited(recording_day, sectors):
    standard = make_standard("EN 71-1:2014+A1:2018")
    regulation = make_regulation("Directive 2009/48/EC", adopted_date=datetime.date(2009, 6, 18))
    citation = cite(regulation, standard, date_cited=datetime.date(2019, 1, 1))
    (cited,) = changes.record_changes(type(citation), {}, [citation.pk], via=ChangeVia.IMPORT)
    assert cited.occurred_on == datetime.date(2019, 1, 1)
    # An end of presumption to come is news on the day it is announced…
    citation.presumption_ends = datetime.date(2027, 6, 30)
    (ending,) = changes.save_record(citation, via=ChangeVia.IMPORT)
    assert (ending.kind, ending.occurred_on) == (ChangeKind.CITATION_ENDING, RECORDED_ON)
    # …one learnt after it passed is dated by the end.
    citation.presumption_ends = datetime.date(2025, 11, 28)
    (ended,) = changes.save_record(citation, via=ChangeVia.IMPORT)
    assert ended.occurred_on == datetime.date(2025, 11, 28)


@pytest.mark.parametrize(
    "oj_reference, expected",
    [
        ("Implementing Decision (EU) 2022/6 (OJ L 1, 5.1.2022, p. 11)", datetime.date(2022, 1, 5)),
        ("Implementing Decision (EU) 2021/395 (OJ L 77, p. 35)", datetime.date(2021, 1, 1)),
        ("", RECORDED_ON),
    ],
)
def test_a_citation_without_a_date_is_dated_by_its_oj_reference(
    recording_day, sectors, oj_reference, expected
):
    regulation = make_regulation("Regulation (EU) 2016/425")
    citation = cite(regulation, make_standard("EN 1149-5:2018"), date_cited=None,
                    oj_reference=oj_reference)  # fmt: skip
    (cited,) = changes.record_changes(type(citation), {}, [citation.pk], via=ChangeVia.IMPORT)
    assert cited.occurred_on == expected


def test_a_rule_naming_a_standard_cites_it_from_when_the_rule_applies(recording_day, sectors):
    standard = make_standard("GB 4706.1-2005", implementation_date=datetime.date(2005, 8, 1))
    rule = make_regulation(
        "CNCA-C07-01:2024", jurisdiction="CN", kind="cn-ccc",
        applies_from=datetime.date(2024, 6, 1),
    )  # fmt: skip
    citation = cite(rule, standard, kind="ccc-testing", date_cited=None)
    (cited,) = changes.record_changes(type(citation), {}, [citation.pk], via=ChangeVia.IMPORT)
    assert cited.occurred_on == datetime.date(2024, 6, 1)


def test_a_new_regulation_is_dated_by_adoption_and_a_repeal_by_its_date(recording_day, sectors):
    directive = make_regulation(
        "Directive 94/62/EC", published=False, adopted_date=datetime.date(1994, 12, 20)
    )
    directive.published = True
    (new,) = changes.save_record(directive, via=ChangeVia.IMPORT)
    assert new.occurred_on == datetime.date(1994, 12, 20)
    directive.repealed_date = datetime.date(2025, 2, 11)
    (repealed,) = changes.save_record(directive, via=ChangeVia.IMPORT)
    assert (repealed.kind, repealed.occurred_on) == (ChangeKind.DATES, datetime.date(2025, 2, 11))
