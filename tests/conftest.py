import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import translation

from sectors.reference import DATA_DIR, load_sectors

# Playwright's sync API runs an event loop in this thread; the ORM calls made by
# fixtures next to it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """The manifest storage needs collectstatic; tests serve files as they are."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the mail limits count in it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Factories write rows directly, not through record_changes, so pages are rendered
    afresh unless a test turns the page cache on (tests/test_page_cache.py)."""
    settings.CACHE_PAGES = False


@pytest.fixture(autouse=True)
def _no_search_index(settings, tmp_path):
    """Search runs on PostgreSQL, and no write queues the index follower, unless a test
    turns the engine on with an index of its own (tests/standards/test_search_engine.py,
    test_search_follow.py); what a command or the worker builds goes to the test's own
    directory. The product terms and facet labels search keeps in memory are read afresh
    too (a test's rows roll back)."""
    from standards.search import engine, facets, query, suggest

    settings.SEARCH_ENGINE = "postgres"
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    forgets = (engine.forget_reader, query.forget_products, facets.forget_labels,
               suggest.forget_vocabulary)  # fmt: skip
    for forget in forgets:
        forget()
    yield
    for forget in forgets:
        forget()


@pytest.fixture(autouse=True)
def _reset_language():
    """Each test starts in English, whatever the previous one activated."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference tables the product ships once, after the test database is
    created; tests run in transactions that roll back, so the tables stay."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference_data", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture(scope="module")
def module_rows(django_db_setup, django_db_blocker):
    """A transaction around a whole test module, for rows that are costly to make: a
    module-scoped fixture builds them once inside `with module_rows.unblock():`, every
    test of the module sees them (each test runs in a savepoint inside this transaction,
    so what a test writes is still undone after it), and they are rolled back when the
    module ends. Tests that commit (live server) cannot share them."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    yield django_db_blocker
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker):
    """The database as `load_demo --if-empty` leaves it on the reference tables alone:
    loaded once, in a transaction that is rolled back, and copied (tests/snapshots.py)."""
    import io

    from django.core.management import call_command

    from standards.models import Standard
    from tests.snapshots import TableSnapshot

    with django_db_blocker.unblock(), transaction.atomic():
        assert not Standard.objects.exists(), "the demo is loaded on an empty catalogue"
        out = io.StringIO()
        call_command("load_demo", "--if-empty", stdout=out)
        snapshot = TableSnapshot.take(output=out.getvalue())
        transaction.set_rollback(True)
    return snapshot


@pytest.fixture
def demo_catalogue(db, demo_snapshot):
    """The demo catalogue (data/demo/), restored from the session's snapshot inside this
    test's transaction. Live-server tests use `demo_site` instead."""
    demo_snapshot.restore()
    return demo_snapshot


@pytest.fixture(scope="module")
def demo_module(demo_snapshot, module_rows):
    """The demo catalogue restored once for a whole module (a restore and its rollback
    take about a second), for modules whose database tests all read it: such a module
    defines `demo_catalogue` as `demo_module` plus `db`. Each test still runs in a
    savepoint (module_rows), so what it changes is undone before the next one."""
    with module_rows.unblock():
        demo_snapshot.restore()
    return demo_snapshot


@pytest.fixture
def reference_tables(db):
    """ICS, CCS, HS 2022, the ten sectors and their codes."""
    from sectors.models import Sector

    return list(Sector.objects.all())


@pytest.fixture
def sectors(db):
    """The ten launch sectors, from the CSV the product ships."""
    load_sectors(DATA_DIR / "sectors.csv")
    from sectors.models import Sector

    return list(Sector.objects.all())


# ----------------------------------------------------------------------------------------
# Personas: each means the same person in every test.
# ----------------------------------------------------------------------------------------


@pytest.fixture
def alice(db):
    """Alice Wang owns Acme, an exporter of toys and appliances; she reads English."""
    from tests.factories import make_user

    return make_user("alice@acme.example", first_name="Alice", last_name="Wang")


@pytest.fixture
def bob(db):
    """Bob is Alice's colleague, a plain member of Acme."""
    from tests.factories import make_user

    return make_user("bob@acme.example")


@pytest.fixture
def acme(alice, bob):
    """Acme (slug "acme"): Alice its owner, Bob a member."""
    from tests.factories import make_company

    return make_company("Acme", owner=alice, members=[bob])


@pytest.fixture
def li(acme):
    """Li Na, a member of Acme who reads Chinese: pages and e-mails in zh-hans."""
    from tests.factories import add_member, make_user

    user = make_user("li@acme.example", first_name="Na", last_name="Li", language="zh-hans")
    add_member(acme, user)
    return user


@pytest.fixture
def carol(db):
    """Carol owns Globex, another company: an outsider to everything of Acme's."""
    from tests.factories import make_company, make_user

    user = make_user("carol@globex.example")
    make_company("Globex", owner=user)
    return user


@pytest.fixture
def globex(carol):
    from accounts.models import Company

    return Company.objects.get(memberships__user=carol)


@pytest.fixture
def curator(db):
    """Mei, a curator at a standards body: edits the catalogue, cannot delete; reads
    Chinese."""
    from tests.factories import make_user

    return make_user("mei@curators.example", group="Curator", language="zh-hans")


@pytest.fixture
def administrator(db):
    """Anna, an administrator: everything, users included."""
    from tests.factories import make_user

    return make_user("anna@admins.example", group="Administrator")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Passwords hashed in microseconds: the suite makes hundreds of accounts (the site
    itself keeps Django's default hasher)."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that commit (the live server's) end by emptying every table, the reference
    tables loaded once above included: run them after all the others. pytest-django
    sorts them last, but pytest then regroups tests around shared parametrized
    session fixtures (Playwright's browser), which can pull them forward."""
    committing = [
        item
        for item in items
        if {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    ]
    others = [item for item in items if item not in set(committing)]
    items[:] = others + committing
