"""Changes written in bulk by the curators' save path queue immediate alerts too."""

import datetime

import pytest
from django.core import mail

from accounts.models import Subscription
from sectors.models import Sector
from standards.changes import save_record
from tests.factories import make_standard, make_user

pytestmark = pytest.mark.django_db


def test_an_admin_style_save_alerts_an_immediate_subscriber(
    settings, reference_tables, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    member = make_user("li@exporter.example", language="zh-hans")
    subscription = Subscription.objects.create(
        user=member, frequency="immediate", language="zh-hans"
    )
    subscription.sectors.add(Sector.objects.get(slug="toys"))
    standard = make_standard(
        "GB 6675.1-2014",
        title_zh_hans="玩具安全 第1部分：基本规范",
        implementation_date=datetime.date(2016, 1, 1),
        sectors=["toys"],
    )
    mail.outbox.clear()
    standard.implementation_date = datetime.date(2016, 7, 1)
    with django_capture_on_commit_callbacks(execute=True):
        save_record(standard, via="admin")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "2016-01-01" in body and "2016-07-01" in body
