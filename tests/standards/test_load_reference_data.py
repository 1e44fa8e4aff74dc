import io

import pytest
from django.core.management import call_command

from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards.models import Body

pytestmark = pytest.mark.django_db


def test_reference_tables_load_with_parents_and_curator_translations():
    toys = IcsCode.objects.get(code="97.200.50")
    assert (toys.title_en, toys.title_zh_hans, toys.title_zh_hans_source) == (
        "Toys",
        "玩具",
        "curator",
    )
    assert toys.parent.code == "97.200" and toys.parent.parent.code == "97"
    ccs = CcsCode.objects.get(code="Y57")
    assert (ccs.name_zh_hans, ccs.name_en, ccs.name_en_source) == ("玩具", "Toys", "curator")
    assert ccs.parent.code == "Y50/59"
    prams = HsCode.objects.get(code="8715")
    assert prams.description_zh_hans == "婴孩车及其零件" and prams.parent.code == "87"
    assert IcsCode.objects.count() == 1381
    assert CcsCode.objects.count() == 1857
    assert HsCode.objects.filter(level=6).count() == 5613


def test_every_sector_has_its_classification_codes():
    for sector in Sector.objects.all():
        assert sector.ics_codes.exists(), sector.slug
        assert sector.ccs_codes.exists(), sector.slug
    assert not Sector.objects.get(slug="environmental-protection").hs_codes.exists()
    toys = Sector.objects.get(slug="toys")
    assert list(toys.hs_codes.values_list("code", flat=True)) == ["9503"]


def test_loading_again_changes_nothing():
    before = (IcsCode.objects.count(), CcsCode.objects.count(), HsCode.objects.count())
    out = io.StringIO()
    call_command("load_reference_data", stdout=out)
    assert (IcsCode.objects.count(), CcsCode.objects.count(), HsCode.objects.count()) == before
    assert "[8/9] Chinese HS descriptions" in out.getvalue()
    assert "[9/9] Standards bodies: 20 rows from bodies.csv." in out.getvalue()
    assert IcsCode.objects.get(code="97.200.50").title_zh_hans == "玩具"


def test_the_standards_bodies_come_from_one_table():
    """Every body an importer names is in data/bodies.csv, in both languages."""
    assert Body.objects.count() == 20
    sac = Body.objects.get(code="SAC")
    assert (sac.name_en, sac.name_zh_hans, sac.jurisdiction) == (
        "Standardization Administration of China",
        "国家标准化管理委员会",
        "CN",
    )
    assert Body.objects.get(code="CENELEC").jurisdiction == "EU"
    assert Body.objects.get(code="ISO").name_zh_hans == "国际标准化组织"
