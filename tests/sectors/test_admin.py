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
