from django.http import HttpRequest

from cesip.web import absolute_url


def site(request: HttpRequest) -> dict:
    return {"SITE_URL": absolute_url()}
