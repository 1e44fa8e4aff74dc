"""A company's journey, in Chinese: sign up, verify, create the company, invite a
colleague who joins, watch two standards, subscribe to a sector; a curator moves one
watched standard's implementation date in the admin; send_digests delivers one Chinese
digest naming the old and the new date, and a second run sends nothing."""

import datetime
import os
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Company, Delivery, Membership
from tests.factories import make_standard, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "Kettle-plum-73-harbour"


@pytest.fixture
def site(live_server, transactional_db):
    with open(os.devnull, "w") as quiet:
        call_command("load_reference_data", stdout=quiet)
    group, _ = Group.objects.get_or_create(name="Curator")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["sectors", "standards"]).exclude(
            codename__startswith="delete_"
        )
    )
    make_user("mei@curators.example", group="Curator", language="zh-hans")
    for identifier, title in [
        ("GB 6675.1-2014", "玩具安全 第1部分：基本规范"),
        ("GB 6675.2-2014", "玩具安全 第2部分：机械与物理性能"),
    ]:
        make_standard(
            identifier,
            title_zh_hans=title,
            issued_date=datetime.date(2014, 5, 6),
            implementation_date=datetime.date(2016, 1, 1),
            sectors=["toys"],
        )
    return live_server.url


def _link(message, path_part: str) -> str:
    found = re.search(rf"https?://\S*{path_part}\S*", message.body)
    assert found, message.body
    return found.group(0).rstrip(".")


def test_company_journey_in_chinese(browser, site, shoot, axe, page):
    mail.outbox.clear()
    # Sign up, in Chinese, creating the company.
    page.goto(f"{site}/zh-hans/accounts/signup/")
    page.fill("#id_email", "li.wei@toys.example")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.select_option("#id_language", "zh-hans")
    page.fill("#id_company_name", "Shenzhen Happy Toys")
    shoot("company-1-signup-zh-hans")
    axe()
    page.get_by_role("button", name="创建账户").click()
    verification = mail.outbox[-1]
    assert verification.to == ["li.wei@toys.example"]
    page.goto(_link(verification, "/verify/").replace("http://127.0.0.1:8000", site))
    page.get_by_role("button", name="验证并登录").click()
    expect(page.locator(".user-name")).to_have_text("li.wei@toys.example")
    company = Company.objects.get()
    assert Membership.objects.get(user__email="li.wei@toys.example").role == "owner"

    # Invite a colleague, who signs up through the link and joins.
    page.goto(f"{site}/zh-hans/company/{company.slug}/invite/")
    page.fill("#id_email", "chen@toys.example")
    page.get_by_role("button", name="发送邀请").click()
    expect(page.locator(".messages")).to_be_visible()
    invitation = mail.outbox[-1]
    assert invitation.to == ["chen@toys.example"]
    colleague = browser.new_context().new_page()
    colleague.goto(_link(invitation, "/join/").replace("http://127.0.0.1:8000", site))
    colleague.locator("main a.button-link").click()
    colleague.fill("#id_password1", PASSWORD)
    colleague.fill("#id_password2", PASSWORD)
    colleague.get_by_role("button", name="创建账户").click()
    expect(colleague).to_have_url(re.compile(rf"/zh-hans/company/{company.slug}/"))
    assert company.memberships.filter(user__email="chen@toys.example").exists()
    colleague.context.close()

    # A watchlist with two standards.
    page.goto(f"{site}/zh-hans/company/{company.slug}/watchlists/")
    page.fill("#id_name", "玩具出口")
    page.get_by_role("button", name="创建关注清单").click()
    expect(page.locator("main")).to_contain_text("玩具出口")
    for slug in ("gb-6675-1-2014", "gb-6675-2-2014"):
        page.goto(f"{site}/zh-hans/standards/{slug}/")
        page.get_by_role("button", name="关注").first.click()
        expect(page.locator("main")).to_contain_text("玩具出口")
    page.goto(f"{site}/zh-hans/company/{company.slug}/watchlists/")
    page.get_by_role("link", name="玩具出口").click()
    expect(page.locator("main")).to_contain_text("GB 6675.1-2014")
    expect(page.locator("main")).to_contain_text("GB 6675.2-2014")
    shoot("company-2-watchlist-zh-hans")
    axe()

    # Subscribe to the toys sector, daily, in Chinese.
    page.goto(f"{site}/zh-hans/account/alerts/")
    page.get_by_label("玩具").check()
    page.get_by_label("每日").check()
    page.select_option("#id_language", "zh-hans")
    page.get_by_role("button", name="保存设置").click()
    expect(page.locator(".messages")).to_be_visible()
    shoot("company-3-alerts-zh-hans")
    axe()

    # A curator moves the implementation date of one watched standard.
    curator = browser.new_context().new_page()
    curator.goto(f"{site}/zh-hans/admin/login/")
    curator.fill("#id_username", "mei@curators.example")
    curator.fill("#id_password", "correct horse battery")
    curator.click("input[type=submit]")
    from standards.models import Standard

    standard = Standard.objects.get(slug="gb-6675-1-2014")
    curator.goto(f"{site}/zh-hans/admin/standards/standard/{standard.pk}/change/")
    curator.fill("#id_implementation_date", "2016-07-01")
    curator.click("input[name=_save]")
    expect(curator.locator(".messagelist")).to_be_visible()
    curator.context.close()

    # The digest: one, in Chinese, naming the old and the new date.
    mail.outbox.clear()
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with open(os.devnull, "w") as quiet:
        call_command(
            "send_digests", "--frequency", "daily", "--now", tomorrow.isoformat(), stdout=quiet
        )
    digests = [m for m in mail.outbox if m.to == ["li.wei@toys.example"]]
    assert len(digests) == 1 and len(mail.outbox) == 1
    digest = digests[0]
    assert "GB 6675.1-2014" in digest.body and "GB 6675.2-2014" not in digest.body
    assert "2016-01-01" in digest.body and "2016-07-01" in digest.body
    assert re.search(r"[\u4e00-\u9fff]", digest.subject)
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    with open(os.devnull, "w") as quiet:
        call_command(
            "send_digests", "--frequency", "daily", "--now", tomorrow.isoformat(), stdout=quiet
        )
    assert len(mail.outbox) == 1
    assert Delivery.objects.filter(status="sent").count() == 1

    page.goto(f"{site}/zh-hans/account/alerts/history/")
    expect(page.locator("main")).to_contain_text("已发送")
    shoot("company-4-history-zh-hans")
    axe()
