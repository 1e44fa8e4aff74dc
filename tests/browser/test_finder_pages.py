"""The product finder and the search box as an exporter meets them, in the browser and in
both languages (issue 17): suggestions under the finder's box as a product is typed, a
broad product's sheet with the narrower products to choose from, a sheet with each act's
route and the formalities, and a search that finds nothing as typed and is loosened, with
the step said. Screenshots go to artifacts/screenshots/finder-*.png."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What each language's exporter types, and what the page must then show.
JOURNEYS = {
    "en": {
        "typed": "chuif",  # pinyin of 吹风: the suggestions offer the hair dryer
        "suggested": "hair dryer",
        "sheet_heading": "Requirements for hair dryer in China",
        "broad": "toys",
        "narrower": "plush toy",
        "route_query": "hair dryer",
        "formality": "CCC mark",
        "search": "mechanical propertys of toyz",  # spelling
        "relaxed": "No standard",  # words dropped or spelt anew, whichever comes first
        "found": "EN 71-1",
    },
    "zh-hans": {
        "typed": "吹风",
        "suggested": "电吹风",
        "sheet_heading": "电吹风 在欧盟的要求",
        "broad": "玩具",
        "narrower": "毛绒玩具",
        "route_query": "电吹风",
        "formality": "CE标志",
        "search": "wanju",  # pinyin
        "relaxed": "显示“玩具”的结果",
        "found": "GB 6675.1",
    },
}


@pytest.fixture
def demo_site(live_server, transactional_db, demo_snapshot):
    demo_snapshot.restore()
    return live_server.url


@pytest.mark.parametrize("language", list(JOURNEYS))
def test_finder_sheets_and_a_loosened_search(page, demo_site, shoot, axe, language):
    want = JOURNEYS[language]
    page.set_viewport_size({"width": 1366, "height": 900})

    # Typing in the finder's box offers products; choosing one opens its sheet, for the
    # other market by default.
    page.goto(f"{demo_site}/{language}/products/")
    page.locator("#pf-q").press_sequentially(want["typed"], delay=40)
    suggestion = page.locator("#pf-suggestions a", has_text=want["suggested"]).first
    expect(suggestion).to_be_visible()
    shoot(f"finder-suggestions-{language}")
    suggestion.click()
    expect(page.locator("h1")).to_have_text(want["sheet_heading"])

    # A broad product: its own sheet and the narrower products to choose from.
    page.goto(f"{demo_site}/{language}/products/?q={want['broad']}")
    narrower = page.locator("#pf-narrower ~ ul.product-narrower a", has_text=want["narrower"])
    expect(narrower.first).to_be_visible()
    expect(page.locator(".sheet-meta")).to_be_visible()
    shoot(f"finder-broad-{language}")
    axe()
    narrower.first.click()
    expect(page.locator("h1")).to_contain_text(want["narrower"])

    # The route: each act's authority and route, then the formalities they require.
    market = "cn" if language == "en" else "eu"
    page.goto(f"{demo_site}/{language}/products/?q={want['route_query']}&market={market}")
    acts = page.locator("table.sheet-acts tbody tr")
    expect(acts.first).to_be_visible()
    assert acts.count() >= 1
    formalities = page.locator('section[aria-labelledby="sheet-formalities"]')
    expect(formalities.locator("h3", has_text=want["formality"]).first).to_be_visible()
    shoot(f"finder-route-{language}")
    axe()

    # A search that finds nothing as typed is loosened, and the page says how.
    page.goto(f"{demo_site}/{language}/search/?q={want['search']}")
    expect(page.locator(".notice.relaxed")).to_contain_text(want["relaxed"])
    expect(page.locator("#results").get_by_text(want["found"]).first).to_be_visible()
    shoot(f"finder-relaxed-search-{language}")
    axe()
