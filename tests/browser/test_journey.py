"""The exporter's journey on the demo catalogue: from a product word in Chinese to the
requirement sheet for the EU, through the GB standard, its European counterpart, the
comparison, the EU act and the sector page. Screenshots in both languages, axe on each."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo_site(live_server, transactional_db, demo_snapshot):
    """The demo catalogue, committed for the live server (loaded once for the session)."""
    demo_snapshot.restore()
    return live_server.url


def test_hair_dryer_from_search_to_requirement_sheet(page, demo_site, shoot, axe):
    site = demo_site
    visited = []

    def arrive(name):
        visited.append(page.url)
        shoot(f"journey-{name}-zh-hans")
        axe()

    page.goto(f"{site}/zh-hans/")
    page.get_by_role("searchbox", name="搜索标准与法规").fill("电吹风")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.locator(".product-note")).to_contain_text("电吹风")
    arrive("1-search")

    page.get_by_role("link", name="GB/T 4706.1-2024", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("GB/T 4706.1-2024")
    expect(page.locator("#counterparts-title")).to_have_text("其他市场的对应标准")
    arrive("2-gb")

    # Both adopt IEC 60335-1:2010 (the GB its 2016 consolidated version).
    page.locator("#counterparts-title ~ ul").get_by_role(
        "link", name="EN 60335-1:2012", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("EN 60335-1:2012")
    arrive("3-en")

    page.locator("a.compare-link[href*='gb-t-4706-1-2024']").click()
    expect(page.locator(".compare-table")).to_contain_text("GB/T 4706.1-2024")
    expect(page.locator(".correspondence")).to_contain_text("IEC 60335-1:2010")
    arrive("4-compare")

    # The act that cites the EN, from the comparison's citing-acts row.
    page.locator(".compare-table").get_by_role("link", name="Directive 2014/35/EU").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2014/35/EU")
    cited = page.locator("#cited-title ~ .table-scroll")
    expect(cited).to_contain_text("EN 60335-1:2012")
    expect(cited).to_contain_text("2025/1457")
    arrive("5-act")

    page.locator("#applies-title + dl").get_by_role("link", name="电气设备").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("电气设备")
    expect(page.locator("#to-eu")).to_be_visible()
    arrive("6-sector")

    page.fill("#sector-product", "电吹风")
    page.locator("#sector-finder-title + form").get_by_role("button").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("电吹风")
    sheet = page.locator("table.sheet-acts")
    expect(sheet).to_contain_text("Directive 2014/35/EU")
    expect(sheet).to_contain_text("Directive 2014/30/EU")
    arrive("7-sheet")

    # The same path for a medical device: YY/T 0287 → EN ISO 13485 → the MDR.
    page.goto(f"{site}/zh-hans/standards/yy-t-0287-2017/")
    page.locator("#counterparts-title ~ ul").get_by_role("link", name="EN ISO 13485:2016").click()
    page.locator("a.compare-link[href*='yy-t-0287-2017']").click()
    expect(page.locator(".correspondence")).to_contain_text("ISO 13485:2016")
    page.locator(".compare-table").get_by_role("link", name="Regulation (EU) 2017/745").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2017/745")
    expect(page.locator("#cited-title ~ .table-scroll")).to_contain_text("EN ISO 13485:2016")
    arrive("8-mdr")

    # The same pages in English.
    for number, url in enumerate(visited, start=1):
        page.goto(url.replace("/zh-hans/", "/en/"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        shoot(f"journey-{number}-en")
        axe()


def test_alternative_spelling_redirects_in_the_browser(page, demo_site):
    page.goto(f"{demo_site}/en/standards/gb4343.1-2024/")
    expect(page).to_have_url(f"{demo_site}/en/standards/gb-4343-1-2024/")
