"""Titles taken from identical adoptions (standards.titles, `manage.py fill_adopted_titles`)."""

import io

import pytest
from django.core.management import call_command

from standards.models import Change, Standard
from standards.titles import act_name, fill_adopted_titles
from tests.factories import adopt, make_regulation, make_standard

pytestmark = pytest.mark.django_db

IEC_TITLE = "Household and similar electrical appliances - Safety - Part 1: General requirements"
GB_TITLE = "家用和类似用途电器的安全 第1部分：通用要求"


@pytest.fixture
def appliances(reference_tables):
    """IEC 60335-1 in English; GB 4706.1 adopts it IDT (Chinese title only); EN 60335-1
    adopts it IDT too (no Chinese title); GB/T 1 adopts it MOD."""
    iec = make_standard("IEC 60335-1:2010", title_en=IEC_TITLE, title_en_source="official")
    gb = make_standard(
        "GB 4706.1-2005", title_en="", title_zh_hans=GB_TITLE, title_zh_hans_source="official"
    )
    en = make_standard(
        "EN 60335-1:2012", title_en=f"{IEC_TITLE} (IEC 60335-1:2010)", title_en_source="official"
    )
    modified = make_standard(
        "GB/T 1.1-2020",
        title_en="",
        title_zh_hans="修改采用的标题",
        title_zh_hans_source="official",
    )
    adopt(gb, iec, "IDT")
    adopt(en, iec, "IDT")
    adopt(modified, iec, "MOD")
    return iec, gb, en, modified


def test_a_missing_title_comes_from_the_identical_adoption_in_either_direction(appliances):
    iec, gb, en, modified = appliances
    report = fill_adopted_titles()
    iec.refresh_from_db()
    gb.refresh_from_db()
    assert (iec.title_zh_hans, iec.title_zh_hans_source) == (GB_TITLE, "adoption")
    # The GB's English title is the IEC's, not the EN's with its "(IEC …)" suffix.
    assert (gb.title_en, gb.title_en_source) == (IEC_TITLE, "adoption")
    assert {(i.standard.identifier, i.language) for i in report.filled} >= {
        ("IEC 60335-1:2010", "zh_hans"), ("GB 4706.1-2005", "en"),
    }  # fmt: skip


def test_an_en_and_a_gb_adopting_one_standard_share_titles_through_it(appliances):
    _iec, _gb, en, _modified = appliances
    fill_adopted_titles()
    en.refresh_from_db()
    assert (en.title_zh_hans, en.title_zh_hans_source) == (GB_TITLE, "adoption")


def test_a_modified_adoption_gives_no_title_and_none_is_overwritten(appliances):
    iec, gb, en, modified = appliances
    Standard.objects.filter(pk=en.pk).update(
        title_zh_hans="编审译文", title_zh_hans_source="curator"
    )
    fill_adopted_titles()
    modified.refresh_from_db()
    en.refresh_from_db()
    assert modified.title_en == "" and modified.title_en_source == ""
    assert en.title_zh_hans == "编审译文"


def test_the_command_records_the_changes_and_a_second_run_does_nothing(appliances):
    out = io.StringIO()
    call_command("fill_adopted_titles", stdout=out)
    assert "GB 4706.1-2005: English title from IEC 60335-1:2010" in out.getvalue()
    assert Change.objects.filter(kind="translation").count() == 3
    out = io.StringIO()
    call_command("fill_adopted_titles", stdout=out)
    assert out.getvalue().strip() == "0 titles filled (0 English, 0 Chinese)"


def test_a_dry_run_writes_nothing(appliances):
    iec, *_ = appliances
    call_command("fill_adopted_titles", "--dry-run", stdout=io.StringIO())
    iec.refresh_from_db()
    assert not iec.title_zh_hans


def test_a_chinese_sentence_names_a_chinese_act_by_its_chinese_title(reference_tables):
    law = make_regulation(
        "Solid Waste Pollution Prevention Law of the PRC (2020 revision)",
        jurisdiction="CN",
        kind="cn-law",
        title_zh_hans="中华人民共和国固体废物污染环境防治法",
    )
    rule = make_regulation("CNCA-C07-01:2024", jurisdiction="CN", kind="cn-ccc")
    directive = make_regulation("Directive 2009/48/EC")
    assert act_name(law, "zh-hans") == "《中华人民共和国固体废物污染环境防治法》"
    assert act_name(law, "en") == law.reference
    assert act_name(rule, "zh-hans") == "CNCA-C07-01:2024"
    assert act_name(directive, "zh-hans") == "Directive 2009/48/EC"
