"""A requirement sheet as a file to download: CSV, Excel or PDF, in the active language.

Each export holds what the sheet's page shows: the acts with their route, authority,
marking and formalities, then the standards by section with their status, the acts that
cite them and the counterparts at home. The PDF adds what a page printed on paper needs:
the date it was made, the catalogue's coverage note with the official lists, each
formality explained with its sources, and the disclaimer. Chinese text in the PDF is set
in STSong-Light, one of the CID fonts every PDF reader has (no font file is shipped).

`sheet_file(ctx, kind)` takes the product finder's context (standards.views.sectors).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cesip.web import is_chinese
from standards import status
from standards.formalities import EXPLANATIONS
from standards.models import Formality, Jurisdiction, TechnicalRegulation
from standards.requirements import RequirementSheet, SheetStandard
from standards.titles import act_name

FORMATS = ("csv", "xlsx", "pdf")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"

CHINESE_FONT = "STSong-Light"
# Characters STSong-Light has no glyph for, and what a Chinese PDF prints instead.
CID_FALLBACK = str.maketrans({"·": "｜", "•": "-"})
HAN_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


@dataclass(frozen=True)
class SheetFile:
    content: bytes
    content_type: str
    filename: str


# ----------------------------------------------------------------------------------------
# What every export says, in the active language
# ----------------------------------------------------------------------------------------


def own(record, name: str) -> str:
    """A translated field in the reader's language, else the other one."""
    first, second = ("zh_hans", "en") if is_chinese() else ("en", "zh_hans")
    return getattr(record, f"{name}_{first}", "") or getattr(record, f"{name}_{second}", "") or ""


def product_name(ctx: dict) -> str:
    products = ctx.get("products") or []
    field = "name_zh_hans" if is_chinese() else "name_en"
    names = [getattr(p, field, "") or getattr(p, "name_en", "") for p in products]
    names = [name for name in names if name]
    if names:
        return "、".join(names) if is_chinese() else ", ".join(names)
    return ctx.get("text") or ctx.get("hs") or " ".join(ctx.get("codes") or [])


def sheet_title(ctx: dict) -> str:
    return _("Requirements for %(product)s in %(market)s") % {
        "product": product_name(ctx),
        "market": ctx.get("market_label", ""),
    }


def act_label(regulation: TechnicalRegulation) -> str:
    short = own(regulation, "short_name")
    name = act_name(regulation)
    return f"{name} {short}".strip() if short and short != name else name


def route_text(regulation: TechnicalRegulation) -> str:
    parts = [str(regulation.get_conformity_route_display() or "")]
    if regulation.conformity_modules:
        parts.append(_("Modules or procedures:") + " " + regulation.conformity_modules)
    if regulation.third_party:
        body = (
            _("Notified body:")
            if regulation.jurisdiction == Jurisdiction.EU
            else _("Designated certification body:")
        )
        parts.append(f"{body} {regulation.get_third_party_display()}")
    return " · ".join(part for part in parts if part)


def formality_detail(item) -> str:
    """What one act says of a formality: " (the provision): when it applies"."""
    basis, condition = own(item, "basis"), own(item, "condition")
    return (f" ({basis})" if basis else "") + (f": {condition}" if condition else "")


def formality_text(item) -> str:
    """One formality of one act: its label, the provision and when it applies."""
    return str(Formality(item.formality).label) + formality_detail(item)


def standard_sections(sheet: RequirementSheet) -> list[tuple[str, list[SheetStandard]]]:
    return [
        (_("Mandatory standard"), sheet.mandatory),
        (_("Harmonised standard"), sheet.harmonised),
        (_("Other standard"), sheet.other),
    ]


def counterparts_text(entry: SheetStandard) -> str:
    found = []
    for match in entry.home:
        text = f"{match.standard.identifier} ({match.degree})"
        if match.via is not None:
            text += " " + _("via %(via)s") % {"via": match.via.identifier}
        found.append(text)
    return "; ".join(found)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def sheet_rows(sheet: RequirementSheet) -> tuple[list[str], list[list]]:
    """The header and one row per act, then one per standard."""
    header = [
        _("Section"),
        _("Reference or identifier"),
        _("Title"),
        _("Status"),
        _("Conformity route"),
        _("Competent authority"),
        _("Marking"),
        _("Formalities"),
        _("Applies from"),
        _("Cited by"),
        _("Counterpart you may already meet"),
        _("Link"),
    ]
    rows: list[list] = []
    for regulation in sheet.regulations:
        rows.append(
            [
                _("Regulation that applies"),
                act_name(regulation),
                own(regulation, "short_name"),
                "",
                route_text(regulation),
                own(regulation, "competent_authority"),
                regulation.marking,
                "; ".join(formality_text(item) for item in regulation.route_formalities),
                regulation.applies_from,
                "",
                "",
                absolute(regulation.get_absolute_url()),
            ]
        )
    for section, entries in standard_sections(sheet):
        for entry in entries:
            standard = entry.standard
            rows.append(
                [
                    section,
                    standard.identifier,
                    own(standard, "title"),
                    str(status.phrase(standard)),
                    "",
                    "",
                    "",
                    "",
                    None,
                    "; ".join(act_name(c.regulation) for c in entry.citations),
                    counterparts_text(entry),
                    absolute(standard.get_absolute_url()),
                ]
            )
    return header, rows


def file_name(ctx: dict, extension: str, today: datetime.date) -> str:
    stem = slugify(ctx.get("text") or "") or "-".join(ctx.get("codes") or []) or "sheet"
    return f"cesip-requirements-{stem[:60]}-{ctx.get('market', '')}-{today:%Y-%m-%d}.{extension}"


# ----------------------------------------------------------------------------------------
# CSV and Excel
# ----------------------------------------------------------------------------------------


def spreadsheet_safe(value):
    """Text a spreadsheet would read as a formula gets an apostrophe in front (titles and
    notes come from sources CESIP does not control)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_content(header: list, rows: list) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads the file as UTF-8 (Chinese titles)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in rows:
        writer.writerow(
            [
                ""
                if v is None
                else v.isoformat()
                if isinstance(v, datetime.date)
                else spreadsheet_safe(str(v))
                for v in values
            ]
        )
    return buffer.getvalue().encode("utf-8")


XLSX_WIDTHS = [22, 24, 50, 30, 40, 40, 10, 60, 12, 30, 36, 50]


def xlsx_content(ctx: dict, header: list, rows: list, today: datetime.date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Requirements")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append(
            [
                v if v is None or isinstance(v, datetime.date) else spreadsheet_safe(str(v))
                for v in values
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for index, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    about = workbook.create_sheet(_("About")[:31])
    for line in about_lines(ctx, today):
        about.append([spreadsheet_safe(str(value)) for value in line])
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def about_lines(ctx: dict, today: datetime.date) -> list[tuple[str, str]]:
    """What the sheet is: its title, date, market, codes and the coverage note."""
    coverage = ctx.get("coverage")
    lines = [
        (_("Title"), sheet_title(ctx)),
        (_("Made on"), today.isoformat()),
        (_("Destination market"), ctx.get("market_label", "")),
        (_("HS codes"), ", ".join(ctx.get("codes") or [])),
    ]
    if coverage is not None:
        lines.append((_("Coverage"), str(coverage.text)))
        for item in coverage.lists:
            name = item.name or (act_name(item.regulation) if item.regulation else "")
            lines.append((name or str(item.link.label), item.link.url))
    lines.append(("", disclaimer()))
    return lines


def disclaimer() -> str:
    return _(
        "This sheet is drawn from the CESIP catalogue and its sources; it is not legal "
        "advice. Check the official texts before relying on it."
    )


# ----------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CHINESE_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CHINESE_FONT))


def _markup(text, link: str = "") -> str:
    """Text for a reportlab Paragraph: escaped, Chinese runs in the CID font (the Latin
    fonts have no Chinese glyphs), optionally a link."""
    text = escape(str(text or ""))
    if is_chinese():
        text = text.translate(CID_FALLBACK)
    else:
        text = HAN_RUN.sub(lambda m: f'<font name="{CHINESE_FONT}">{m.group()}</font>', text)
    if link:
        text = f'<a href="{escape(link)}" color="#1d4f91">{text}</a>'
    return text


def pdf_content(ctx: dict, today: datetime.date) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )

    _register_fonts()
    sheet: RequirementSheet = ctx["sheet"]
    chinese = is_chinese()
    body_font = CHINESE_FONT if chinese else "Helvetica"
    bold_font = CHINESE_FONT if chinese else "Helvetica-Bold"
    base = getSampleStyleSheet()
    styles = {
        "title": ParagraphStyle("t", parent=base["Title"], fontName=bold_font, fontSize=16),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold_font, fontSize=12),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontName=bold_font, fontSize=10),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontName=body_font, fontSize=9),
        "small": ParagraphStyle(
            "s", parent=base["BodyText"], fontName=body_font, fontSize=7.5, leading=9.5
        ),
        "cell": ParagraphStyle(
            "c", parent=base["BodyText"], fontName=body_font, fontSize=7.5, leading=9.5
        ),
        "head": ParagraphStyle(
            "h", parent=base["BodyText"], fontName=bold_font, fontSize=7.5, leading=9.5
        ),
    }
    title = sheet_title(ctx)
    story = [Paragraph(_markup(title), styles["title"])]
    story.append(
        Paragraph(
            _markup(
                _("Made on %(day)s from the CESIP catalogue (%(site)s).")
                % {"day": today.isoformat(), "site": settings.SITE_URL}
            ),
            styles["body"],
        )
    )
    story.append(
        Paragraph(
            _markup(
                _(
                    "Destination: %(market)s. Counterparts are given from %(home)s and "
                    "international standards."
                )
                % {"market": ctx.get("market_label", ""), "home": ctx.get("home_label", "")}
            ),
            styles["body"],
        )
    )
    coverage = ctx.get("coverage")
    if coverage is not None:
        links = [
            _markup(
                item.name or (act_name(item.regulation) if item.regulation else item.link.label),
                item.link.url,
            )
            for item in coverage.lists
        ]
        story.append(
            Paragraph(
                _markup(coverage.text) + " " + escape(coverage.separator).join(links),
                styles["small"],
            )
        )
    width = landscape(A4)[0] - 30 * mm

    def table(header: list[str], rows: list[list[str]], widths: list[float]):
        data = [[Paragraph(_markup(h), styles["head"]) for h in header]]
        data += [
            [cell if not isinstance(cell, str) else Paragraph(cell, styles["cell"]) for cell in row]
            for row in rows
        ]
        grid = LongTable(data, colWidths=[w * width for w in widths], repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return grid

    if sheet.regulations:
        story += [Spacer(1, 4 * mm), Paragraph(_markup(_("Regulations that apply")), styles["h2"])]
        rows = []
        for regulation in sheet.regulations:
            rows.append(
                [
                    _markup(act_label(regulation), absolute(regulation.get_absolute_url())),
                    _markup(route_text(regulation) or "—"),
                    _markup(own(regulation, "competent_authority") or "—"),
                    _markup(regulation.marking or "—"),
                    "<br/>".join(
                        _markup(Formality(item.formality).label)
                        for item in regulation.route_formalities
                    )
                    or "—",
                    _markup(
                        regulation.applies_from.isoformat() if regulation.applies_from else "—"
                    ),
                ]
            )
        story.append(
            table(
                [
                    _("Regulation"),
                    _("Conformity route"),
                    _("Competent authority"),
                    _("Marking"),
                    _("Formalities"),
                    _("Applies from"),
                ],
                rows,
                [0.22, 0.22, 0.22, 0.06, 0.18, 0.10],
            )
        )
    if sheet.formalities:
        story += [Spacer(1, 4 * mm), Paragraph(_markup(_("Formalities")), styles["h2"])]
        for group in sheet.formalities:
            explanation = EXPLANATIONS[group.kind]
            story.append(Paragraph(_markup(group.label), styles["h3"]))
            story.append(
                Paragraph(
                    _markup(explanation.text)
                    + " "
                    + _markup(f"{explanation.basis} · {_('official text')}", explanation.source),
                    styles["body"],
                )
            )
            for item in group.rows:
                story.append(
                    Paragraph(
                        "• "
                        + _markup(act_name(item.regulation))
                        + _markup(formality_detail(item))
                        + " "
                        + _markup(_("source"), item.source_url),
                        styles["small"],
                    )
                )
    for heading, (_section, entries) in zip(
        [
            _("Mandatory standards"),
            _("Harmonised standards"),
            _("Other standards for this product"),
        ],
        standard_sections(sheet),
        strict=True,
    ):
        if not entries:
            continue
        story += [Spacer(1, 4 * mm), Paragraph(_markup(heading), styles["h2"])]
        rows = []
        for entry in entries:
            standard = entry.standard
            rows.append(
                [
                    _markup(standard.identifier, absolute(standard.get_absolute_url()))
                    + "<br/>"
                    + _markup(own(standard, "title")),
                    _markup(status.phrase(standard)),
                    _markup("; ".join(act_name(c.regulation) for c in entry.citations) or "—"),
                    _markup(counterparts_text(entry) or "—"),
                ]
            )
        story.append(
            table(
                [
                    _("Standard"),
                    _("Status"),
                    _("Cited by"),
                    _("Counterpart you may already meet"),
                ],
                rows,
                [0.40, 0.20, 0.18, 0.22],
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph(_markup(disclaimer()), styles["small"])]

    footer = _("CESIP · %(title)s · %(day)s · page %(page)s")

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(CHINESE_FONT if chinese or HAN_RUN.search(title) else "Helvetica", 7)
        line = footer % {"title": title, "day": today.isoformat(), "page": doc.page}
        canvas.drawString(15 * mm, 8 * mm, line.translate(CID_FALLBACK) if chinese else line)
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        author="CESIP",
        subject=_("Requirement sheet"),
        creator="CESIP",
        lang="zh-Hans" if chinese else "en",
    )
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------
# The file
# ----------------------------------------------------------------------------------------


def sheet_file(ctx: dict, kind: str, today: datetime.date | None = None) -> SheetFile:
    """The sheet in the product finder's context `ctx` as a file, `kind` one of FORMATS."""
    today = today or timezone.localdate()
    if kind == "pdf":
        return SheetFile(pdf_content(ctx, today), PDF_TYPE, file_name(ctx, "pdf", today))
    header, rows = sheet_rows(ctx["sheet"])
    if kind == "xlsx":
        content = xlsx_content(ctx, header, rows, today)
        return SheetFile(content, XLSX_TYPE, file_name(ctx, "xlsx", today))
    return SheetFile(csv_content(header, rows), CSV_TYPE, file_name(ctx, "csv", today))
