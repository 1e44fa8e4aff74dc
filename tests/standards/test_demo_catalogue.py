"""The demo catalogue shipped under data/demo/: real records, each with its source."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from standards.identifiers import parse_identifier
from standards.models import Standard

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "cn_standards.csv"

pytestmark = pytest.mark.skipif(not DEMO.exists(), reason="no demo catalogue yet")


def _rows():
    with DEMO.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_demo_row_has_a_source_and_a_parseable_chinese_identifier():
    for row in _rows():
        assert row["来源"].startswith(("http://", "https://")), row["标准号"]
        assert parse_identifier(row["标准号"]).jurisdiction == "CN"
        assert row["中文标准名称"], row["标准号"]


@pytest.mark.django_db
def test_load_demo_fills_an_empty_catalogue_once(reference_tables):
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert Standard.objects.count() == len(_rows())
    assert not Standard.objects.filter(source_url="").exists()
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "already has standards" in out.getvalue()
