"""Following the search log (standards.search.engine.follow): what commits reaches the
index within the follower's next run, a crash before the index commits is repaired on
the next, a replay doubles nothing, deleted and unpublished records leave, statuses move
on their day. These tests commit (the follower reads only finished transactions) and
build a small catalogue and index each."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from cesip import cache as page_cache
from standards.models import Standard
from standards.search import engine
from tests.factories import make_standard
from tests.standards.test_search import results


def _index_at(settings, path):
    settings.SEARCH_ENGINE = "index"
    settings.SEARCH_INDEX_DIR = path
    engine.forget_reader()


@pytest.fixture
def live_index(transactional_db, settings, tmp_path):
    from sectors.reference import DATA_DIR, load_sectors

    load_sectors(DATA_DIR / "sectors.csv")
    _index_at(settings, tmp_path / "index")
    make_standard("GB 6675.1-2014", title_en="Toys safety - General", sectors=["toys"])
    make_standard("EN 71-1:2014", title_en="Safety of toys - Part 1", sectors=["toys"])
    engine.build()
    return tmp_path / "index"


def _engine_slugs(text: str) -> list[str]:
    """What the index finds for `text`, read straight from it."""
    from standards.search.expressions import text_query
    from standards.search.query import find_products, read_query

    current = engine.reader()
    query = find_products(read_query(text))
    tsquery = text_query(query)
    words = engine.translate(engine.printed_tsquery(tsquery)) if tsquery is not None else None
    index_query, ranked = engine.search_query(query, engine.Filters(), words=words)
    _total, ids = engine.page_ids(
        current, index_query, ranked=ranked, sort="relevance", offset=0, size=50
    )
    slugs = dict(Standard.objects.filter(pk__in=ids).values_list("pk", "slug"))
    return [slugs.get(pk, f"missing:{pk}") for pk in ids]


def _documents_of(pk: int) -> int:
    searcher = engine.reader().index.searcher()
    return searcher.search(engine._term("pk", pk), 10, count=True).count


def test_an_admin_edit_is_found_after_the_workers_next_run(client, live_index):
    from accounts.models import User
    from tests.forms import form_data

    admin = User.objects.create_superuser(email="root@cesip.example", password="x" * 12)
    client.force_login(admin)
    standard = Standard.objects.get(key="GB6675.1:2014")
    url = reverse("admin:standards_standard_change", args=[standard.pk])
    data = form_data(client.get(url).content.decode(), "standard_form")
    data["title_en"] = "Toys safety - Kaleidoscopes and spinning tops"
    assert client.post(url, data).status_code == 302
    assert _engine_slugs("kaleidoscopes") == []  # not before the worker's run
    generation = page_cache.current_generation()
    # The task the save queued, run by the worker.
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert _engine_slugs("kaleidoscopes") == [standard.slug]
    # Pages cached while the index lagged are out of date once it has caught up.
    assert page_cache.current_generation() != generation
    assert _documents_of(standard.pk) == 1
    # And the search page answers from the index (nothing is left in the log to apply).
    assert engine.unusable_because(engine.reader()) == ""
    slugs, _html = results(client, "kaleidoscopes")
    assert slugs == [standard.slug]


def test_a_crash_before_the_index_commit_is_repaired_on_the_next_run(live_index, monkeypatch):
    from standards.changes import save_record

    standard = Standard.objects.get(key="EN71-1:2014")
    standard.title_en = "Safety of toys - Gyroscopes"
    save_record(standard)  # commits, with its log entry
    real = engine.documents

    def crashing(condition, day):
        yield from real(condition, day)
        raise OSError("the worker died")

    monkeypatch.setattr(engine, "documents", crashing)
    with pytest.raises(OSError):
        engine.follow()
    engine.forget_reader()
    assert _engine_slugs("gyroscopes") == []  # nothing half-written
    monkeypatch.setattr(engine, "documents", real)
    engine.follow()
    assert _engine_slugs("gyroscopes") == [standard.slug]
    # A replay of the same entries (the cursor set back) doubles nothing.
    current = engine.reader()
    meta = {**current.meta, "cursor": 0}
    with engine.writing(wait=True):
        writer = current.index.writer(engine.WRITER_HEAP, 1)
        writer.delete_documents_by_term("pk", engine.META_PK)
        writer.add_document(engine._meta_document(meta))
        writer.commit()
        writer.wait_merging_threads()  # and let go of the index
    assert engine.follow().applied >= 1
    assert _documents_of(standard.pk) == 1
    assert engine.reader().index.searcher().num_docs == Standard.objects.count() + 1  # + meta


def test_a_deleted_or_unpublished_record_leaves_the_index(live_index):
    from standards.changes import save_record

    gb = Standard.objects.get(key="GB6675.1:2014")
    en = Standard.objects.get(key="EN71-1:2014")
    assert set(_engine_slugs("toys")) == {gb.slug, en.slug}
    gb.published = False
    save_record(gb)
    en_pk = en.pk
    en.delete()
    report = engine.follow()
    assert report.removed == 2
    assert _engine_slugs("toys") == []
    assert _documents_of(gb.pk) == _documents_of(en_pk) == 0


def test_a_new_day_moves_the_statuses_that_change_that_day(live_index, monkeypatch):
    today = datetime.date.today()
    upcoming = make_standard(
        "GB 6675.2-2030",
        title_en="Toys safety - Mechanical",
        issued_date=today,
        implementation_date=today + datetime.timedelta(days=3),
    )
    from standards.search import log

    log.standards_changed([upcoming.pk])  # written by a factory, not record_changes
    engine.follow()

    def statuses():
        searcher = engine.reader().index.searcher()
        query = engine._term("pk", upcoming.pk)
        return searcher.aggregate(query, {"s": {"terms": {"field": "status"}}})["s"]["buckets"]

    assert [b["key"] for b in statuses()] == ["upcoming"]
    later = today + datetime.timedelta(days=4)
    monkeypatch.setattr(engine.timezone, "localdate", lambda: later)
    assert "another day" in engine.unusable_because(engine.reader())
    report = engine.follow()
    assert report.status_moved == 1
    assert [b["key"] for b in statuses()] == ["current"]  # the factory confirms its status
    assert engine.unusable_because(engine.reader()) == ""


def test_rebuild_search_makes_a_new_generation_current(live_index, capsys):
    before = engine.current_generation()
    call_command("rebuild_search", "--index-only")
    after = engine.current_generation()
    assert after != before and after.is_dir()
    assert "2 standards" in capsys.readouterr().out
    call_command("rebuild_search", "--index-only", "--if-missing")
    assert engine.current_generation() == after
