import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from sectors.management.commands.load_reference_data import DATA_DIR, load_sectors

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


@pytest.fixture
def curator(db):
    """Mei, a curator at a standards body: edits the catalogue, cannot delete."""
    from tests.factories import make_user

    return make_user("mei@curators.example", group="Curator", language="zh-hans")


@pytest.fixture
def administrator(db):
    from tests.factories import make_user

    return make_user("anna@admins.example", group="Administrator")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


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
