import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from sectors.reference import DATA_DIR, load_sectors
from tests.factories import make_body, make_standard, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def logged_in_curator(page, live_server, transactional_db):
    load_sectors(DATA_DIR / "sectors.csv")
    group, _ = Group.objects.get_or_create(name="Curator")
    from django.contrib.auth.models import Permission

    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["sectors", "standards"]).exclude(
            codename__startswith="delete_"
        )
    )
    make_user("mei@curators.example", group="Curator", language="zh-hans")
    page.goto(f"{live_server.url}/zh-hans/admin/login/")
    page.fill("#id_username", "mei@curators.example")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("mei@curators.example")
    return live_server.url


def test_curator_adds_a_chinese_standard_with_tabbed_translations(page, logged_in_curator, shoot):
    site = logged_in_curator
    make_body("SAC")
    iso = make_standard("ISO 8124-1:2022", title_en="Safety of toys — Part 1")
    page.goto(f"{site}/zh-hans/admin/standards/standard/add/")
    # modeltranslation's tabs, built by the self-hosted jQuery UI.
    tabs = page.locator(".ui-tabs-nav").first
    expect(tabs).to_be_visible()
    page.get_by_role("tab", name="zh-hans").first.click()
    page.fill("#id_title_zh_hans", "玩具安全 第2部分：机械与物理性能")
    page.get_by_role("tab", name="en", exact=True).first.click()
    page.fill("#id_title_en", "Safety of toys—Part 2: Mechanical and physical properties")
    page.fill("#id_identifier", "GB 6675.2—2014")
    page.select_option("#id_stage", "published")
    page.locator("#id_body").evaluate(
        "(el, pk) => { el.add(new Option('SAC', pk, true, true)); }", str(make_body("SAC").pk)
    )
    page.check("#id_published")
    page.locator("#adoptions-group .add-row a").click()
    page.locator("#id_adoptions-0-adopted").evaluate(
        "(el, pk) => { el.add(new Option('ISO 8124-1:2022', pk, true, true)); }", str(iso.pk)
    )
    page.select_option("#id_adoptions-0-degree", "MOD")
    shoot("admin-standard-add-zh-hans")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("GB 6675.2-2014")
    shoot("admin-standard-list-zh-hans")

    from standards.models import Standard

    gb = Standard.objects.get(key="GB6675.2:2014")
    assert gb.title_zh_hans == "玩具安全 第2部分：机械与物理性能"
    assert [(c.standard.identifier, c.degree) for c in gb.counterparts()] == [
        ("ISO 8124-1:2022", "MOD")
    ]


def test_curator_previews_a_publication_list_in_chinese(
    page, logged_in_curator, shoot, settings, tmp_path
):
    from pathlib import Path

    settings.MEDIA_ROOT = tmp_path
    page.goto(f"{logged_in_curator}/zh-hans/admin/standards/standard/")
    page.get_by_role("link", name="导入出版物清单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入出版物清单")
    sample = Path(__file__).resolve().parents[1] / "data" / "etsi_sample.csv"
    page.set_input_files("#id_file", str(sample))
    page.select_option("#id_list_name", "etsi")
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator("#content-main")).to_contain_text("共 4 行：4 项新标准，0 项已在目录中")
    shoot("admin-import-list-preview-zh-hans")
