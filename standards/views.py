from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from sectors.models import Sector

MAX_QUERY_LENGTH = 200


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = " ".join(request.GET.get("q", "").split())
    too_long = len(query) > MAX_QUERY_LENGTH
    query = query[:MAX_QUERY_LENGTH]
    sectors = Sector.objects.none()
    if query:
        sectors = Sector.objects.filter(
            Q(name_en__icontains=query) | Q(name_zh_hans__icontains=query)
        )
    ctx = {"query": query, "too_long": too_long, "sectors": sectors}
    return render(request, "standards/search.html", ctx)
