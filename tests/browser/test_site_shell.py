import pytest
from playwright.sync_api import expect

from sectors.reference import DATA_DIR, load_sectors

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, transactional_db):
    load_sectors(DATA_DIR / "sectors.csv")
    return live_server.url


def test_home_in_english_then_switch_to_chinese(page, site, shoot, axe):
    page.goto(f"{site}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".sector-tile")).to_have_count(10)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Which standards apply")
    shoot("home-en")
    axe()

    page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(f"{site}/zh-hans/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_contain_text("您的产品在中国和欧盟适用哪些标准")
    expect(page.locator(".sector-tile").first).to_contain_text("电气设备")
    shoot("home-zh-hans")
    axe()


def test_switching_language_keeps_the_page_and_query(page, site, shoot, axe):
    page.goto(f"{site}/en/")
    page.get_by_role("searchbox", name="Search standards and regulations").fill("玩具")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(f"{site}/en/search/?q=%E7%8E%A9%E5%85%B7")
    axe()
    page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(f"{site}/zh-hans/search/?q=%E7%8E%A9%E5%85%B7")
    expect(page.get_by_role("heading", level=1)).to_have_text("搜索标准与法规")
    shoot("search-zh-hans")
    axe()


def test_first_visit_follows_the_browsers_language(browser, site):
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.goto(f"{site}/")
    expect(page).to_have_url(f"{site}/zh-hans/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_phone_layout_and_login_page(browser, site, language):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{site}/{language}/")
    # Nothing may overflow sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    page.screenshot(path=_artifact(f"home-phone-{language}"), full_page=True)
    page.get_by_role("link", name="Log in" if language == "en" else "登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Log in" if language == "en" else "登录"
    )
    page.screenshot(path=_artifact(f"login-phone-{language}"), full_page=True)
    context.close()


def test_keyboard_focus_starts_with_the_skip_link(page, site):
    page.goto(f"{site}/en/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # After skipping, focus moves into the main content, past the header.
    assert page.evaluate("document.activeElement.closest('main') !== null")


def _artifact(name: str) -> str:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")
