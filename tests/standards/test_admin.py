"""The curation admin, used in English and Chinese, with the two roles."""

import datetime

import pytest

from sectors.models import Sector
from standards.models import Change, ChangeKind, Citation, Standard, TechnicalRegulation
from tests.factories import make_body, make_regulation, make_standard
from tests.forms import form_data, form_errors

pytestmark = pytest.mark.django_db


def _add(client, language: str, model: str, values: dict) -> str:
    url = f"/{language}/admin/standards/{model}/add/"
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode(), f"{model}_form")
    data.update(values)
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    return response["Location"]


def test_curator_records_adoptions_and_a_citation_in_both_languages(curator_client, sectors):
    make_body("SAC")
    make_body("CEN")
    iso_body = make_body("ISO")
    iso = make_standard(
        "ISO 8124-1:2022",
        body=iso_body,
        title_en="Safety of toys — Part 1: Safety aspects related to mechanical and physical properties",  # noqa: E501
    )
    toys = Sector.objects.get(slug="toys")

    # In Chinese: the GB standard that adopts ISO 8124-1 with modifications.
    _add(curator_client, "zh-hans", "standard", {
        "identifier": "GB 6675.2-2014",
        "body": str(make_body("SAC").pk),
        "title_zh_hans": "玩具安全 第2部分：机械与物理性能",
        "title_en": "Safety of toys—Part 2: Mechanical and physical properties",
        "title_zh_hans_source": "official", "title_en_source": "official",
        "stage": "published", "issued_date": "2014-05-06", "implementation_date": "2016-01-01",
        "sectors": [str(toys.pk)], "published": "on",
        "adoptions-TOTAL_FORMS": "1", "adoptions-0-adopted": str(iso.pk), "adoptions-0-degree": "MOD",  # noqa: E501
    })  # fmt: skip
    # In English: the EN standard that adopts the same ISO standard identically.
    _add(curator_client, "en", "standard", {
        "identifier": "EN ISO 8124-1:2018",
        "body": str(make_body("CEN").pk),
        "title_en": "Safety of toys - Part 1",
        "stage": "published", "issued_date": "2018-01-01",
        "sectors": [str(toys.pk)], "published": "on",
        "adoptions-TOTAL_FORMS": "1", "adoptions-0-adopted": str(iso.pk), "adoptions-0-degree": "IDT",  # noqa: E501
    })  # fmt: skip
    en = Standard.objects.get(key="ENISO8124-1:2018")
    gb = Standard.objects.get(key="GB6675.2:2014")
    assert (gb.jurisdiction, gb.legal_force, en.jurisdiction) == ("CN", "mandatory", "EU")

    # The EU act that cites the EN, recorded in Chinese.
    _add(curator_client, "zh-hans", "technicalregulation", {
        "reference": "Directive 2009/48/EC", "slug": "directive-2009-48-ec",
        "jurisdiction": "EU", "kind": "eu-directive",
        "short_name_en": "Toy Safety Directive", "short_name_zh_hans": "玩具安全指令",
        "title_en": "Directive 2009/48/EC of the European Parliament and of the Council on the safety of toys",  # noqa: E501
        "adopted_date": "2009-06-18", "in_force_date": "2009-07-20", "published": "on",
        "citations-TOTAL_FORMS": "1", "citations-0-standard": str(en.pk),
        "citations-0-kind": "harmonised", "citations-0-date_cited": "2019-11-05",
    })  # fmt: skip

    regulation = TechnicalRegulation.objects.get(reference="Directive 2009/48/EC")
    assert Citation.objects.get(regulation=regulation).standard == en
    counterparts = {c.standard.identifier: c for c in gb.counterparts()}
    assert counterparts["ISO 8124-1:2022"].degree == "MOD"
    assert counterparts["EN ISO 8124-1:2018"].via == iso
    assert counterparts["EN ISO 8124-1:2018"].degree == "IDT"
    assert {c.standard.identifier for c in en.counterparts()} == {
        "ISO 8124-1:2022",
        "GB 6675.2-2014",
    }
    assert Change.objects.filter(standard=en, regulation=regulation, kind=ChangeKind.CITED).exists()


@pytest.mark.parametrize(
    "language,message",
    [("en", "20x4"), ("zh-hans", "无法识别标准号“GB/T 6675.1-20x4”中的“20x4”")],
)
def test_unparseable_identifier_is_a_form_error(curator_client, language, message):
    url = f"/{language}/admin/standards/standard/add/"
    data = form_data(curator_client.get(url).content.decode(), "standard_form")
    data.update({"identifier": "GB/T 6675.1-20x4", "title_en": "x", "stage": "published",
                 "body": str(make_body("SAC").pk)})  # fmt: skip
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert message in form_errors(response)
    assert not Standard.objects.exists()


def test_duplicate_identifier_in_another_spelling_is_refused(curator_client):
    make_standard("GB/T 6675.1-2014", title_zh_hans="玩具")
    page = curator_client.get("/en/admin/standards/standard/add/")
    data = form_data(page.content.decode(), "standard_form")
    data.update(
        {
            "identifier": "gbt 6675.1—2014",
            "title_en": "x",
            "body": str(make_body("SAC").pk),
            "stage": "published",
        }
    )
    response = curator_client.post("/en/admin/standards/standard/add/", data)
    assert "already in the catalogue" in form_errors(response)


@pytest.mark.parametrize("query", ["gb6675.1", "GB／T 6675.1—2014", "玩具安全", "toy safety"])
def test_admin_search_by_any_spelling_or_title(curator_client, query):
    make_standard(
        "GB/T 6675.1-2014",
        title_zh_hans="玩具安全 第1部分：基本规范",
        title_en="Toy safety—Part 1: Basic code",
    )
    make_standard("GB 4706.1-2024", title_zh_hans="家用电器安全", title_en="Household appliances")
    page = curator_client.get("/en/admin/standards/standard/", {"q": query})
    html = page.content.decode()
    assert "GB/T 6675.1-2014" in html
    assert "GB 4706.1-2024" not in html


def test_list_filters_and_translation_queue(curator_client):
    make_standard("GB 4706.1-2024", title_zh_hans="家用电器安全", title_en="")
    make_standard("ISO 8124-1:2022", title_en="Safety of toys", translation_verified=True,
                  title_zh_hans="玩具安全", title_zh_hans_source="machine")  # fmt: skip
    listing = curator_client.get(
        "/zh-hans/admin/standards/standard/", {"translation": "missing-en"}
    )
    assert "GB 4706.1-2024" in listing.content.decode()
    assert "ISO 8124-1:2022" not in listing.content.decode()
    for params in [
        {"jurisdiction__exact": "CN"},
        {"status": "current"},
        {"legal_force__exact": "mandatory"},
    ]:
        assert curator_client.get("/en/admin/standards/standard/", params).status_code == 200
    queue = curator_client.get(
        "/zh-hans/admin/standards/standardtranslationqueue/"
    ).content.decode()
    assert "GB 4706.1-2024" in queue and "ISO 8124-1:2022" not in queue


def test_the_translation_queue_lists_missing_titles_first(curator_client):
    make_standard("ISO 8124-1:2022", title_en="Safety of toys", title_zh_hans="玩具安全",
                  title_zh_hans_source="machine")  # fmt: skip
    make_standard("EN 71-1:2014", title_en="Safety of toys - Part 1")  # no Chinese title
    make_standard("GB 6675.1-2014", title_zh_hans="玩具安全 第1部分", title_en="",
                  title_en_source="", translation_verified=False)  # fmt: skip
    queue = curator_client.get("/en/admin/standards/standardtranslationqueue/").content.decode()
    order = [queue.index(i) for i in ("EN 71-1:2014", "GB 6675.1-2014", "ISO 8124-1:2022")]
    assert order[2] > max(order[:2])  # the machine translation after the missing titles
    assert "awaiting translation" in queue.lower()


def test_bulk_actions_publish_and_verify(curator_client):
    a = make_standard("GB 4706.1-2024", title_zh_hans="家用电器安全", published=False)
    b = make_standard("GB 4706.15-2008", title_zh_hans="皮肤及毛发护理器具", published=False)
    url = "/en/admin/standards/standard/"
    curator_client.post(url, {"action": "publish", "_selected_action": [a.pk, b.pk]})
    assert Standard.objects.filter(published=True).count() == 2
    assert Change.objects.filter(kind=ChangeKind.NEW).count() == 2
    curator_client.post(url, {"action": "mark_translation_verified", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.translation_verified
    curator_client.post(url, {"action": "unpublish", "_selected_action": [b.pk]})
    assert not Standard.objects.get(pk=b.pk).published


def test_history_shows_a_readable_diff(curator_client):
    standard = make_standard(
        "GB 4706.15-2008",
        title_zh_hans="皮肤及毛发护理器具",
        implementation_date=datetime.date(2010, 10, 1),
    )
    url = f"/en/admin/standards/standard/{standard.pk}/change/"
    data = form_data(curator_client.get(url).content.decode(), "standard_form")
    data["implementation_date"] = "2011-01-01"
    assert curator_client.post(url, data).status_code == 302
    history = curator_client.get(f"{url.removesuffix('change/')}history/").content.decode()
    assert "2010-10-01" in history and "2011-01-01" in history


# Roles, tested both ways.


def test_curator_can_add_and_change_but_not_delete(curator_client):
    standard = make_standard("GB 4706.1-2024", title_zh_hans="家用电器安全")
    assert curator_client.get("/en/admin/standards/standard/add/").status_code == 200
    assert (
        curator_client.get(f"/en/admin/standards/standard/{standard.pk}/change/").status_code == 200
    )
    assert (
        curator_client.get(f"/en/admin/standards/standard/{standard.pk}/delete/").status_code == 403
    )
    assert curator_client.get("/en/admin/standards/standard/import/").status_code == 200
    assert curator_client.get("/en/admin/accounts/user/").status_code == 403
    assert curator_client.get("/en/admin/auth/group/").status_code == 403
    assert curator_client.get("/en/admin/standards/change/add/").status_code == 403


def test_administrator_can_delete_and_manage_users(client, administrator):
    client.force_login(administrator)
    standard = make_standard("GB 4706.1-2024", title_zh_hans="家用电器安全")
    assert client.get(f"/en/admin/standards/standard/{standard.pk}/delete/").status_code == 200
    assert client.get("/en/admin/accounts/user/").status_code == 200
    assert client.get("/en/admin/auth/group/").status_code == 200


def test_visitors_and_plain_users_are_kept_out(client, django_user_model):
    assert client.get("/en/admin/standards/standard/").status_code == 302
    user = django_user_model.objects.create_user(email="someone@example.org", password="x" * 12)
    client.force_login(user)
    assert client.get("/en/admin/standards/standard/").status_code == 302


def test_regulation_dates_are_checked(curator_client):
    regulation = make_regulation("Directive 2014/35/EU", adopted_date=datetime.date(2014, 2, 26))
    url = f"/en/admin/standards/technicalregulation/{regulation.pk}/change/"
    data = form_data(curator_client.get(url).content.decode(), "technicalregulation_form")
    data["in_force_date"] = "2014-01-01"
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert "entry-into-force date cannot be before the adoption date" in form_errors(response)
