"""The status engine (standards.status): one current edition per family, transitions,
unconfirmed statuses, one phrase, and the same answer in SQL, on pages and in alerts."""

import datetime
from collections import defaultdict

import pytest
from django.utils import translation

from accounts.watchlists import record_status
from standards import status
from standards.changes import save_record, snapshot
from standards.identifiers import parse_identifier
from standards.models import Change, ChangeKind, Replacement, Stage, Standard, Status
from tests.factories import cite, make_regulation, make_standard

DAYS = [datetime.date(2024, 6, 1), datetime.date(2026, 12, 7), datetime.date(2027, 9, 1)]
IN_FORCE = {Status.CURRENT, Status.UNCONFIRMED}


def _edition(standard: Standard) -> tuple[str, int | None, bool]:
    parsed = parse_identifier(standard.identifier)
    amendment = any(a.joiner == "/" for a in parsed.amendments) or bool(standard.amendment_of_id)
    return status.lineage(standard.family_key), parsed.full_year, amendment


def _published_by(standard: Standard, day: datetime.date) -> bool:
    published = standard.issued_date or standard.dav or standard.dor
    return published is None or published <= day


# ----------------------------------------------------------------------------------------
# Over the demo catalogue


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_no_family_has_two_editions_in_force_on_the_same_day(demo_catalogue, day):
    """Amendments belong to their edition; editions are told apart by their year."""
    in_force = defaultdict(set)
    for standard in Standard.objects.public().with_status(day):
        if standard.current_status in IN_FORCE:
            lineage, year, _amendment = _edition(standard)
            in_force[lineage].add(year)
    assert {lineage: years for lineage, years in in_force.items() if len(years) > 1} == {}


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_no_edition_is_in_force_when_a_newer_one_in_the_catalogue_is_published(demo_catalogue, day):
    """Written without the engine: the newer editions of each family, and whole
    replacements, found directly."""
    standards = list(Standard.objects.public().exclude(stage=Stage.DRAFT).with_status(day))
    by_lineage = defaultdict(list)
    for standard in standards:
        by_lineage[_edition(standard)[0]].append(standard)
    wrong = []
    for standard in standards:
        if standard.current_status not in IN_FORCE:
            continue
        lineage, year, _amendment = _edition(standard)
        newer = [
            other.identifier
            for other in by_lineage[lineage]
            if year and (_edition(other)[1] or 0) > year and _published_by(other, day)
        ]
        if newer:
            wrong.append((standard.identifier, newer))
    replaced = Replacement.objects.filter(
        extent="whole", new__published=True, old__published=True
    ).select_related("old", "new")
    for link in replaced:
        old = next(s for s in standards if s.pk == link.old_id)
        if old.current_status in IN_FORCE and _published_by(link.new, day):
            wrong.append((old.identifier, [link.new.identifier]))
    assert wrong == []


def test_the_families_the_users_found_read_right(demo_catalogue):
    day = datetime.date(2026, 12, 7)
    found = {
        s.identifier: s
        for s in Standard.objects.public().with_status(day).select_related("superseded_by")
    }
    for old, new in [
        ("EN 60335-1:2002", "EN 60335-1:2012"),
        ("GB 6675.1-2014", "GB 6675.1-2025"),
        ("GB/T 17592-2011", "GB/T 17592-2024"),
        ("EN ISO 15223-1:2016", "EN ISO 15223-1:2021"),
        ("EN 50419:2006", "EN 50419:2022"),
        ("GB/T 14449-1993", "GB/T 14449-2017"),
        ("EN 55014-1:2017", "EN IEC 55014-1:2021"),  # renamed by CENELEC: one lineage
    ]:
        assert found[old].current_status == Status.SUPERSEDED, old
        assert found[old].superseded_by.identifier == new, old
        assert found[new].current_status in IN_FORCE, new


def test_sql_and_python_agree_on_every_demo_record(demo_catalogue):
    for day in DAYS:
        for standard in Standard.objects.with_status(day):
            assert standard.current_status == standard.status_on(day), (standard, day)


def test_a_record_whose_source_gave_no_status_says_so(demo_catalogue, client):
    unconfirmed = list(
        Standard.objects.public()
        .with_status()
        .filter(status_confirmed_on__isnull=True, superseded_by__isnull=True)
        .exclude(stage__in=[Stage.WITHDRAWN, Stage.SUPERSEDED, Stage.DRAFT])
    )
    assert unconfirmed, "the demo has rows whose source gave no status"
    for standard in unconfirmed:
        assert standard.current_status in (Status.UNCONFIRMED, Status.UPCOMING), standard
    sample = next(s for s in unconfirmed if s.current_status == Status.UNCONFIRMED)
    path = sample.get_absolute_url().removeprefix("/en")
    html = client.get(f"/en{path}").content.decode()
    assert "Status not confirmed" in html and 'badge badge-current"' not in html
    # The date said is when the record was last looked at, not the start of the doubt.
    checked = sample.last_verified
    if checked:
        assert f"record last checked {checked:%Y-%m-%d}" in html
    else:
        assert "record added" in html
    html = client.get(f"/zh-hans{path}").content.decode()
    assert "状态未经确认" in html
    assert (f"记录最近核实于 {checked:%Y-%m-%d}" if checked else "记录收录于") in html


# ----------------------------------------------------------------------------------------
# The rule, on small families


@pytest.fixture
def en_family(db):
    old = make_standard("EN 71-5:2015", title_en="Chemical toys (sets) other than experimental")
    new = make_standard(
        "EN 71-5:2025",
        title_en="Chemical toys (sets) other than experimental sets",
        dav=datetime.date(2025, 3, 1),
        dow=datetime.date(2027, 3, 1),
    )
    old.refresh_from_db()
    return old, new


def test_an_en_stays_valid_until_its_successors_dow(en_family):
    old, new = en_family
    assert (old.superseded_by, old.superseded_from, old.valid_until) == (
        new,
        datetime.date(2025, 3, 1),
        datetime.date(2027, 3, 1),
    )
    assert old.status_on(datetime.date(2025, 2, 28)) == Status.CURRENT
    assert old.status_on(datetime.date(2025, 3, 1)) == Status.TRANSITION
    assert old.status_on(datetime.date(2027, 3, 1)) == Status.SUPERSEDED
    with translation.override("en"):
        assert str(status.phrase(old, datetime.date(2026, 12, 7))) == (
            "Superseded, still valid (replaced by EN 71-5:2025, valid until 2027-03-01)"
        )
    with translation.override("zh-hans"):
        text = str(status.phrase(old, datetime.date(2027, 6, 1)))
        assert text == "被代替（被 EN 71-5:2025 代替，自 2027-03-01 起）"


def test_a_harmonised_citation_keeps_the_old_edition_valid_until_its_doc(db):
    act = make_regulation("Directive 2009/48/EC")
    old = make_standard("EN 71-2:2011+A1:2014")
    new = make_standard("EN 71-2:2020", dav=datetime.date(2020, 9, 2))
    cite(act, new, replaces=old, presumption_ends=datetime.date(2022, 5, 15))
    status.refresh_editions([old.pk])
    old.refresh_from_db()
    assert old.valid_until == datetime.date(2022, 5, 15)
    assert old.status_on(datetime.date(2021, 1, 1)) == Status.TRANSITION
    assert old.status_on(datetime.date(2022, 5, 15)) == Status.SUPERSEDED


def test_amendments_follow_their_edition_and_consolidations_replace_it(db):
    base = make_standard("EN 71-3:2019")
    amended = make_standard("EN 71-3:2019+A2:2024", dav=datetime.date(2024, 10, 31))
    slash = make_standard("EN ISO 14971:2019/A11:2021")
    edition = make_standard("EN ISO 14971:2019")
    for record in (base, amended, slash, edition):
        record.refresh_from_db()
    day = datetime.date(2026, 12, 7)
    assert base.superseded_by == amended and base.status_on(day) == Status.SUPERSEDED
    assert amended.status_on(day) == Status.CURRENT
    # An amendment is not a newer edition: both read current.
    assert (slash.superseded_by, edition.superseded_by) == (None, None)
    assert slash.status_on(day) == edition.status_on(day) == Status.CURRENT


def test_status_not_confirmed_is_not_current(db):
    standard = make_standard("GB/T 3920-2024", status_confirmed_on=None)
    assert standard.status_on(datetime.date(2026, 12, 7)) == Status.UNCONFIRMED
    assert Standard.objects.with_status().get(pk=standard.pk).current_status == Status.UNCONFIRMED
    assert Standard.objects.in_status([Status.UNCONFIRMED]).filter(pk=standard.pk).exists()
    assert not Standard.objects.in_status([Status.CURRENT]).filter(pk=standard.pk).exists()


def test_a_new_edition_written_through_the_change_path_tells_watchers_of_the_old_one(db):
    old = make_standard("GB 6675.1-2014", implementation_date=datetime.date(2016, 1, 1))
    new = Standard(
        published=True,
        body=old.body,
        title_zh_hans="玩具安全 第1部分：基本规范",
        issued_date=datetime.date(2025, 10, 5),
        implementation_date=datetime.date(2026, 11, 1),
        status_confirmed_on=datetime.date(2026, 12, 1),
    )
    new.set_identifier("GB 6675.1-2025")
    save_record(new)
    old.refresh_from_db()
    assert old.superseded_by == new and old.valid_until == datetime.date(2026, 11, 1)
    change = Change.objects.get(standard=old, kind=ChangeKind.REPLACED)
    assert change.fields["superseded_by"] == [None, "GB 6675.1-2025"]
    day = datetime.date(2026, 12, 7)
    with translation.override("en"):
        shown = record_status(Standard.objects.select_related("superseded_by").get(pk=old.pk), day)
    assert (shown.key, shown.label) == ("superseded", "Superseded")
    assert shown.detail == "by GB 6675.1-2025, since 2026-11-01"
    # Unpublishing the new edition puts the old one back.
    before = snapshot(Standard, [new.pk])
    new.published = False
    new.save()
    from standards.changes import record_changes

    record_changes(Standard, before, [new.pk], via="admin")
    old.refresh_from_db()
    assert old.superseded_by is None


def test_the_source_label_is_quoted_once_and_named(demo_catalogue, client):
    html = client.get("/zh-hans/standards/gb-6675-4-2014/").content.decode()
    assert html.count("现行") >= 1
    assert "SAMR: 现行" in html
    assert "被代替" in html
    assert "Superseded" not in html


def test_a_watched_edition_lists_its_successor_coming_into_force(db):
    from accounts.watchlists import record_dates

    old = make_standard("GB 20400-2006")
    new = make_standard(
        "GB 20400-2026",
        issued_date=datetime.date(2026, 3, 1),
        implementation_date=datetime.date(2027, 4, 1),
    )
    old = Standard.objects.select_related("superseded_by").get(pk=old.pk)
    assert old.superseded_by == new
    day = datetime.date(2026, 12, 7)
    assert old.status_on(day) == Status.TRANSITION  # valid until the new one applies
    entries = record_dates(old, [], day, uid_prefix="t-")
    assert [(e.date, e.record.identifier) for e in entries] == [
        (datetime.date(2027, 4, 1), "GB 20400-2026")
    ]
