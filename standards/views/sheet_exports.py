"""The requirement sheet's downloads (/products/?…&format=pdf|xlsx|csv) and the signal
sent before its page renders.

The product finder builds the sheet as its page shows it and hands its context here
(standards.views.sectors.product_finder), so that a download holds exactly the sheet on
the screen, however the product was resolved.
"""

from __future__ import annotations

from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse

from standards.requirements import RequirementSheet
from standards.sheet_exports import FORMATS, sheet_file

__all__ = ["FORMATS", "sheet_response", "sheet_shown"]

# Sent with `request` and `sheet` before a sheet's page renders: the accounts app reads
# the "watch all its standards" form's watchlists then (standards does not import
# accounts, and the template runs no query).
sheet_shown = Signal()


def sheet_response(request: HttpRequest, ctx: dict) -> HttpResponse | None:
    """The sheet in `ctx` as the file `?format=` names, in the page's language; None
    when the page itself is to render."""
    if "sheet" not in ctx:
        return None
    kind = request.GET.get("format", "")
    if kind not in FORMATS:
        sheet_shown.send(sender=RequirementSheet, request=request, sheet=ctx["sheet"])
        return None
    file = sheet_file(ctx, kind)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response
