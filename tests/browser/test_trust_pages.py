"""What an exporter acts on, looked at in the browser in both languages and at desktop and
phone widths: a superseded record, a watchlist whose standard has a new edition in force,
and a Chinese act page. Screenshots go to artifacts/screenshots/trust-*.png."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from standards.models import Standard, TechnicalRegulation
from tests.factories import make_company, make_user, make_watchlist, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
SUPERSEDED = {"en": "Superseded", "zh-hans": "被代替"}
SUCCESSOR = "GB 6675.1-2025"


@pytest.fixture
def demo_site(live_server, transactional_db, demo_snapshot):
    demo_snapshot.restore()
    return live_server.url


def _log_in(page, site: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_superseded_record_watchlist_and_chinese_act(page, demo_site, shoot, axe, language, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    old = Standard.objects.get(identifier="GB 6675.1-2014")
    owner = make_user("lena@stuttgart.example", language=language)
    company = make_company("Spielwaren Nord", owner=owner)
    watchlist = make_watchlist(company, "Toys", by=owner)
    watch(watchlist, old, by=owner)
    _log_in(page, demo_site, owner)

    with translation.override(language):
        record_url = old.get_absolute_url()
        watchlist_url = reverse("accounts:watchlist_detail", args=[company.slug, watchlist.pk])
        act = TechnicalRegulation.objects.public().filter(jurisdiction="CN", kind="cn-law")[0]
        act_url = act.get_absolute_url()

    page.goto(f"{demo_site}{record_url}")
    status = page.locator(".status-line")
    expect(status.locator(".badge").first).to_have_text(SUPERSEDED[language])
    expect(status).to_contain_text(SUCCESSOR)
    shoot(f"trust-superseded-record-{language}-{width}")
    axe()

    page.goto(f"{demo_site}{watchlist_url}")
    row = page.locator(".badge-superseded").first
    expect(row).to_have_text(SUPERSEDED[language])
    expect(page.locator(".status-detail").first).to_contain_text(SUCCESSOR)
    shoot(f"trust-watchlist-new-edition-{language}-{width}")
    axe()

    page.goto(f"{demo_site}{act_url}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        act.short_name_zh_hans if language == "zh-hans" else act.short_name_en
    )
    shoot(f"trust-chinese-act-{language}-{width}")
    axe()
