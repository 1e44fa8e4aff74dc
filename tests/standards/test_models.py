import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from standards.models import Adoption, Replacement, Stage, Standard, Status
from tests.factories import adopt, cite, make_regulation, make_standard

pytestmark = pytest.mark.django_db


def test_identifier_sets_key_slug_family_and_classification():
    standard = make_standard("GB／T 6675.1—2014", title_zh_hans="玩具安全 第1部分：基本规范")
    assert standard.identifier == "GB/T 6675.1-2014"
    assert standard.key == "GBT6675.1:2014"
    assert standard.family_key == "GBT6675.1"
    assert standard.slug == "gb-t-6675-1-2014"
    assert (standard.jurisdiction, standard.legal_force) == ("CN", "recommended")
    assert standard.body.code == "SAC"


def test_normalised_key_is_unique_in_the_database():
    make_standard("EN 71-1:2014+A1:2018")
    duplicate = Standard(title_en="x", body=Standard.objects.get().body)
    duplicate.set_identifier("en 71-1:2014+A1:2018")
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    "field,value",
    [("jurisdiction", "XX"), ("legal_force", "optional"), ("stage", "current"),
     ("title_zh_hans_source", "google")],
)  # fmt: skip
def test_choices_are_enforced_by_the_database(field, value):
    standard = make_standard("GB 4706.1-2024")
    with pytest.raises(IntegrityError), transaction.atomic():
        Standard.objects.filter(pk=standard.pk).update(**{field: value})


def test_withdrawn_cannot_be_before_issued():
    standard = make_standard("GB 6675.1-2014", issued_date=datetime.date(2014, 5, 6))
    with pytest.raises(IntegrityError), transaction.atomic():
        Standard.objects.filter(pk=standard.pk).update(withdrawn_date=datetime.date(2013, 1, 1))
    standard.withdrawn_date = datetime.date(2013, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        standard.full_clean()
    assert "withdrawal date cannot be before the issue date" in str(excinfo.value)


def test_a_standard_cannot_replace_or_adopt_itself():
    standard = make_standard("EN 71-1:2014+A1:2018")
    with pytest.raises(IntegrityError), transaction.atomic():
        Replacement.objects.create(new=standard, old=standard)
    with pytest.raises(IntegrityError), transaction.atomic():
        Adoption.objects.create(standard=standard, adopted=standard, degree="IDT")


def test_end_of_presumption_not_before_citation_date():
    standard = make_standard("EN 71-1:2014+A1:2018")
    regulation = make_regulation("Directive 2009/48/EC")
    with pytest.raises(IntegrityError), transaction.atomic():
        cite(regulation, standard, date_cited=datetime.date(2021, 1, 1),
             presumption_ends=datetime.date(2020, 12, 31))  # fmt: skip


@pytest.mark.parametrize(
    "stage,implementation,withdrawn,expected",
    [
        (Stage.PUBLISHED, "2026-06-01", None, Status.CURRENT),
        (Stage.PUBLISHED, "2027-01-01", None, Status.UPCOMING),
        (Stage.WITHDRAWN, "2020-01-01", "2026-01-01", Status.WITHDRAWN),
        (Stage.WITHDRAWN, "2020-01-01", "2027-01-01", Status.CURRENT),
        (Stage.SUPERSEDED, "2020-01-01", None, Status.SUPERSEDED),
        (Stage.DRAFT, None, None, Status.DRAFT),
    ],
)
def test_status_follows_from_the_dates_in_python_and_in_sql(
    stage, implementation, withdrawn, expected
):
    with time_machine.travel(datetime.datetime(2026, 11, 22, 12, tzinfo=datetime.UTC), tick=False):
        standard = make_standard(
            "GB 4706.1-2024",
            stage=stage,
            issued_date=datetime.date(2019, 1, 1),
            implementation_date=implementation and datetime.date.fromisoformat(implementation),
            withdrawn_date=withdrawn and datetime.date.fromisoformat(withdrawn),
        )
        assert standard.status == expected
        annotated = Standard.objects.with_status().get(pk=standard.pk)
        assert annotated.current_status == expected


def test_upcoming_becomes_current_without_any_write():
    standard = make_standard(
        "GB 4706.1-2024",
        issued_date=datetime.date(2024, 1, 1),
        implementation_date=datetime.date(2026, 12, 1),
    )
    assert standard.status_on(datetime.date(2026, 11, 30)) == Status.UPCOMING
    assert standard.status_on(datetime.date(2026, 12, 1)) == Status.CURRENT


def test_counterparts_through_a_shared_international_standard():
    iso = make_standard("ISO 8124-1:2022", title_en="Safety of toys — Part 1")
    gb = make_standard("GB 6675.2-2014", title_zh_hans="玩具安全 第2部分")
    en = make_standard("EN 71-1:2014+A1:2018", title_en="Safety of toys — Part 1")
    adopt(gb, iso, "MOD")
    adopt(en, iso, "IDT")

    gb_counterparts = {c.standard.identifier: c for c in gb.counterparts()}
    assert set(gb_counterparts) == {"ISO 8124-1:2022", "EN 71-1:2014+A1:2018"}
    assert gb_counterparts["ISO 8124-1:2022"].degree == "MOD"
    via_iso = gb_counterparts["EN 71-1:2014+A1:2018"]
    assert (via_iso.via, via_iso.degree, via_iso.own_degree) == (iso, "IDT", "MOD")

    iso_counterparts = {c.standard.identifier for c in iso.counterparts()}
    assert iso_counterparts == {"GB 6675.2-2014", "EN 71-1:2014+A1:2018"}


@pytest.mark.django_db
def test_status_condition_agrees_with_the_annotation(reference_tables):
    import itertools

    from standards.models import Standard, Status, status_condition

    today = datetime.date(2026, 6, 1)
    days = [None, today - datetime.timedelta(days=1), today, today + datetime.timedelta(days=1)]
    n = 0
    for stage, implemented, issued, withdrawn in itertools.product(
        ["draft", "published", "withdrawn", "superseded"], days, days[:2] + days[3:], days
    ):
        if implemented and issued and implemented < issued:
            continue
        if withdrawn and issued and withdrawn < issued:
            continue
        n += 1
        make_standard(
            f"GB/T {30000 + n}-2020",
            title_zh_hans="测试",
            stage=stage,
            implementation_date=implemented,
            issued_date=issued,
            withdrawn_date=withdrawn,
        )
    annotated = dict(Standard.objects.with_status(today).values_list("pk", "current_status"))
    for status in Status.values:
        by_condition = set(
            Standard.objects.filter(status_condition([status], today)).values_list("pk", flat=True)
        )
        assert by_condition == {pk for pk, s in annotated.items() if s == status}, status
    assert len(annotated) == n > 50


@pytest.mark.parametrize(
    ("issued", "precision", "text"),
    [(datetime.date(2016, 3, 2), "day", "2016-03-02"),
     (datetime.date(2015, 9, 1), "month", "2015-09"),
     (datetime.date(2024, 1, 1), "year", "2024"), (None, "day", "")],
)  # fmt: skip
def test_issue_date_is_printed_as_precisely_as_the_source_gives_it(issued, precision, text):
    standard = Standard(issued_date=issued, issued_precision=precision)
    assert standard.issued_text == text
