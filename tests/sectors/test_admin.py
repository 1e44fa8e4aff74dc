import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url,present,missing",
    [
        ("/en/admin/sectors/icscode/?chinese=missing&q=97.200", "97.200.10", "97.200.50"),
        ("/en/admin/sectors/icscode/?chinese=present&q=97.200", "97.200.50", "97.200.10"),
        ("/en/admin/sectors/ccscode/?english=missing&q=Y5", "Y58", "Y57"),
        ("/en/admin/sectors/hscode/?chinese=present&q=8715", ">8715<", ">871500<"),
    ],
)
def test_translation_filters_on_the_reference_tables(curator_client, url, present, missing):
    html = curator_client.get(url).content.decode()
    assert present in html
    assert missing not in html


def test_product_term_admin_refuses_a_denied_source(client, administrator):
    from sectors.models import ProductTerm
    from tests.forms import form_data, form_errors

    term = ProductTerm.objects.create(
        name_en="hair dryer", name_zh_hans="电吹风", name="hair dryer"
    )
    client.force_login(administrator)
    url = f"/en/admin/sectors/productterm/{term.pk}/change/"
    data = form_data(client.get(url).content.decode(), "productterm_form")
    data["source_url"] = "https://www.scribd.com/document/1/hair-dryers"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "scribd.com" in form_errors(response)
    data["source_url"] = "https://www.iec.ch/homepage"
    assert client.post(url, data).status_code == 302
    term.refresh_from_db()
    assert term.source_url == "https://www.iec.ch/homepage"
