"""SAMR's national-standard list layout (全国标准信息公共服务平台 exports), CSV or XLSX.

Every row is checked before anything is written; a file with any error writes nothing;
importing it again changes nothing; each change goes through standards.changes.
Replacements (代替标准) and adoptions (采用国际标准) link to standards already in the
catalogue or in the same file.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cesip.tabular import (
    ImportReport,
    check_rows,
    parse_date,
    read_table,
    refuse,
    split,
    unknown_codes,
)
from sectors.models import CcsCode, HsCode, IcsCode, Sector
from standards import changes
from standards.bodies import body
from standards.identifiers import IdentifierError, describe_identifier_error, parse_identifier
from standards.imports.common import (
    adoption_of,
    degree_errors,
    save_adoption,
    save_row,
    sector_rules,
    sectors_for,
    source_errors,
    status_confirmed,
)
from standards.models import (
    ChangeVia,
    Jurisdiction,
    Replacement,
    Stage,
    Standard,
    TranslationSource,
)

# The source's status words → the stage CESIP records ("upcoming" follows from dates).
SAMR_STAGES = {
    "现行": Stage.PUBLISHED,
    "有效": Stage.PUBLISHED,
    "即将实施": Stage.PUBLISHED,
    "未生效": Stage.PUBLISHED,
    "废止": Stage.WITHDRAWN,
    "作废": Stage.WITHDRAWN,
    "被代替": Stage.SUPERSEDED,
    # Catalogues that export in English
    "active": Stage.PUBLISHED,
    "valid": Stage.PUBLISHED,
    "current": Stage.PUBLISHED,
    "in force": Stage.PUBLISHED,
    "upcoming": Stage.PUBLISHED,
    "withdrawn": Stage.WITHDRAWN,
    "abolished": Stage.WITHDRAWN,
    "obsolete": Stage.WITHDRAWN,
    "superseded": Stage.SUPERSEDED,
    "replaced": Stage.SUPERSEDED,
}
# Words inside longer labels ("现行有效", "已被代替", "即将废止" is still published).
SAMR_STAGE_WORDS = [("即将", Stage.PUBLISHED), ("代替", Stage.SUPERSEDED),
                    ("废止", Stage.WITHDRAWN), ("作废", Stage.WITHDRAWN),
                    ("现行", Stage.PUBLISHED), ("有效", Stage.PUBLISHED)]  # fmt: skip


def samr_stage(label: str) -> str | None:
    """The stage a SAMR status label means, or None when it is not understood."""
    stage = SAMR_STAGES.get(label) or SAMR_STAGES.get(label.strip().lower())
    if stage:
        return stage
    return next((stage for word, stage in SAMR_STAGE_WORDS if word in label), None)


# A note after an adopted identifier: "IEC 60335-1:2004 (Ed4.1)", "ISO 14971:2007 (更正版)".
TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
SAMR_REQUIRED = ("标准号", "中文标准名称")


def import_samr_list(path: Path, *, actor=None, dry_run: bool = False) -> ImportReport:
    """Import a SAMR national-standard list; all or nothing, idempotent.

    Replacements and adoptions link to standards already in the catalogue or in the same
    file; a link to a standard CESIP does not hold is reported as a warning.
    """
    header, rows = read_table(Path(path))
    missing = [column for column in SAMR_REQUIRED if column not in header]
    if missing:
        raise refuse(", ".join(missing), _("Missing column(s)."))
    known = {
        "ICS": set(IcsCode.objects.values_list("code", flat=True)),
        "CCS": set(CcsCode.objects.values_list("code", flat=True)),
        "行业": set(Sector.objects.values_list("slug", flat=True)),
        "HS": set(HsCode.objects.values_list("code", flat=True)),
    }
    records = check_rows(
        rows,
        lambda row: _read_samr_row(row, known),
        key=lambda row, record: record and record["key"],
        column="标准号",
        same_as=_("The same standard as row %(row)s."),
    )

    report = ImportReport(rows=len(records))
    rules = sector_rules()
    retired = _retired_on(records)
    with transaction.atomic():
        saved: dict[str, Standard] = {}
        for record in records:
            saved[record["key"]] = _save_samr_record(
                record, rules, report, actor, retired.get(record["key"])
            )
        for record in records:
            _link_samr_record(saved[record["key"]], record, report, actor)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _read_samr_row(row: dict[str, str], known: dict[str, set[str]]):
    errors: list[tuple[str, str]] = []
    try:
        parsed = parse_identifier(row.get("标准号", ""))
    except IdentifierError as exc:
        return None, [("标准号", describe_identifier_error(exc))]
    if parsed.jurisdiction != "CN":
        return None, [("标准号", _("“%(id)s” is not a Chinese standard.") % {"id": row["标准号"]})]
    record = {
        "parsed": parsed,
        "key": parsed.key,
        "title_zh_hans": row.get("中文标准名称", ""),
        "title_en": row.get("英文标准名称", ""),
        "status_label": row.get("标准状态", ""),
        "committee": row.get("归口单位", ""),
        # Optional column: None when the file has no 提出单位 column (the stored value stays).
        "proposing_body": row.get("提出单位"),
        "source_url": row.get("来源", ""),
        "replaces": [],
        "adopts": None,
    }
    if not record["title_zh_hans"]:
        errors.append(("中文标准名称", _("The title is empty.")))
    label = record["status_label"]
    stage = samr_stage(label) if label else Stage.PUBLISHED
    if stage is None:
        errors.append(
            ("标准状态", _("Unknown status “%(value)s”.") % {"value": record["status_label"]})
        )
    record["stage"] = stage
    for column, name in (
        ("发布日期", "issued_date"),
        ("实施日期", "implementation_date"),
        ("废止日期", "withdrawn_date"),
    ):
        try:
            record[name] = parse_date(row.get(column, ""))
        except ValueError as exc:
            errors.append((column, str(exc)))
    for text in split(row.get("代替标准"), ";"):
        partial = "部分" in text
        try:
            record["replaces"].append(
                (parse_identifier(text.replace("(部分)", "").replace("（部分）", "")), partial)
            )
        except IdentifierError as exc:
            errors.append(("代替标准", describe_identifier_error(exc)))
    adopted = TRAILING_NOTE.sub("", row.get("采用国际标准", ""))
    degree = row.get("采用程度", "").strip().upper()
    if adopted:
        try:
            record["adopts"] = (parse_identifier(adopted), degree)
        except IdentifierError:
            # Lists also name documents that are not standards CESIP can identify
            # ("ECE R44"); the standard itself is still imported, without the link.
            record["unidentified_adoption"] = adopted
    errors += degree_errors("采用程度", degree)
    errors += source_errors("来源", record["source_url"])
    for column in ("ICS", "CCS", "行业", "HS"):
        record[column] = split(row.get(column), ";")
        errors += unknown_codes(column, record[column], known[column])
    return (None if errors else record), errors


# "SAC/TC 253", "SAC/TC209/SC1", "SAC/SWG 18"; an older bare "TC10" is left in the name.
COMMITTEE_CODE = re.compile(r"SAC\s*/\s*(TC|SWG)\s*(\d+)(?:\s*/\s*SC\s*(\d+))?")


def committee_parts(committee: str) -> tuple[str, str]:
    """归口单位 as (code, name): the SAC code spelt one way ("SAC/TC 209/SC 1") and the
    committee's name without the code in brackets, which the page prints beside it."""
    match = COMMITTEE_CODE.search(committee)
    if not match:
        return "", committee
    kind, number, sub = match.groups()
    code = f"SAC/{kind} {number}" + (f"/SC {sub}" if sub else "")
    name = re.sub(r"[(（]\s*" + re.escape(match.group(0)) + r"\s*[)）]", "", committee).strip()
    return code, name


def _retired_on(records) -> dict[str, datetime.date]:
    """Each standard wholly replaced (代替, not 部分代替) by a row of the file or by a standard
    already in the catalogue, with the day the replacing standard comes into force: SAMR
    abolishes the old standard on that day, and lists keep showing it as 现行 until they are
    next refreshed. One query for the whole file."""
    retired: dict[str, datetime.date] = {}

    def retire(key: str, day: datetime.date | None) -> None:
        if day:
            retired[key] = min(day, retired.get(key, day))

    for record in records:
        day = record["implementation_date"] or record["issued_date"]
        for parsed, partial in record["replaces"]:
            if not partial:
                retire(parsed.key, day)
    links = Replacement.objects.filter(
        old__key__in=[record["key"] for record in records], extent="whole", new__published=True
    ).select_related("old", "new")
    for link in links:
        retire(link.old.key, link.new.in_force_from)
    return retired


def _save_samr_record(
    record, rules, report: ImportReport, actor, retired: datetime.date | None = None
) -> Standard:
    parsed = record["parsed"]
    standard = Standard.objects.filter(key=parsed.key).first() or Standard(published=True)
    if record["stage"] == Stage.PUBLISHED:
        # Still "现行" in the list, but with a 废止日期, or wholly replaced: withdrawn (or
        # superseded) from that day, the day the new standard comes into force; until then
        # the status shows it as current. The list's own word stays in status_label.
        if record["withdrawn_date"]:
            stage = Stage.SUPERSEDED if retired else Stage.WITHDRAWN
            record = {**record, "stage": stage}
        elif retired:
            record = {**record, "stage": Stage.SUPERSEDED, "withdrawn_date": retired}
    standard.set_identifier(str(parsed))
    code, committee = committee_parts(record["committee"])
    values = {
        "body": body(parsed.publishers[0] if parsed.publishers else "SAC", Jurisdiction.CN),
        "title_zh_hans": record["title_zh_hans"],
        "title_zh_hans_source": TranslationSource.OFFICIAL,
        "title_en": record["title_en"],
        "title_en_source": TranslationSource.OFFICIAL if record["title_en"] else "",
        "stage": record["stage"],
        "status_label": record["status_label"],
        "status_confirmed_on": status_confirmed(
            standard, record["stage"], record["status_label"], stated=bool(record["status_label"])
        ),
        "issued_date": record["issued_date"],
        "implementation_date": record["implementation_date"],
        "withdrawn_date": record["withdrawn_date"],
        "committee_code": code,
        "committee_name_zh_hans": committee,
        "source_url": record["source_url"],
    }
    if record["proposing_body"] is not None:
        values["proposing_body_zh_hans"] = record["proposing_body"]
    for name, value in values.items():
        setattr(standard, name, value)
    sectors = record["行业"] or None
    sector_ids = (
        list(Sector.objects.filter(slug__in=sectors).values_list("pk", flat=True))
        if sectors
        else sorted(sectors_for(record["ICS"], rules))
    )
    m2m = {
        "ics_codes": list(IcsCode.objects.filter(code__in=record["ICS"])),
        "ccs_codes": list(CcsCode.objects.filter(code__in=record["CCS"])),
        "hs_codes": list(HsCode.objects.filter(code__in=record["HS"])),
        "sectors": sector_ids,
    }
    return save_row(standard, report, actor, m2m=m2m)


def _link_samr_record(standard: Standard, record, report: ImportReport, actor) -> None:
    """Replacement and adoption links; each new link goes through the change path."""
    wanted_old = []
    for parsed, partial in record["replaces"]:
        old = Standard.objects.filter(key=parsed.key).first()
        if old is None:
            report.warnings.append(
                _("%(id)s replaces %(old)s, which is not in the catalogue.")
                % {"id": standard.identifier, "old": str(parsed)}
            )
            continue
        wanted_old.append((old, "partial" if partial else "whole"))
    adoption = None
    if record.get("unidentified_adoption"):
        report.warnings.append(
            _("%(id)s adopts “%(other)s”, which is not a standard identifier CESIP can read.")
            % {"id": standard.identifier, "other": record["unidentified_adoption"]}
        )
    if record["adopts"]:
        parsed, degree = record["adopts"]
        if not degree:
            report.warnings.append(
                _("%(id)s adopts %(other)s, but the list gives no degree (IDT, MOD, NEQ).")
                % {"id": standard.identifier, "other": str(parsed)}
            )
        else:
            adoption = adoption_of(parsed, degree, standard.identifier, report)
    links = {(old.pk, extent) for old, extent in wanted_old}
    current = set(standard.replacements.values_list("old_id", "extent"))
    current_adoption = set(standard.adoptions.values_list("adopted_id", "degree", "named_as"))
    wanted_adoption = {(adoption[0].pk, adoption[1], adoption[2])} if adoption else set()
    day = standard.in_force_from
    retiring = [
        old
        for old, extent in wanted_old
        if day and extent == "whole" and old.stage == Stage.PUBLISHED and not old.withdrawn_date
    ]
    if links <= current and wanted_adoption <= current_adoption and not retiring:
        return
    touched = [standard.pk, *[old.pk for old, _extent in wanted_old]]
    before = changes.snapshot(Standard, touched)
    for old, extent in wanted_old:
        Replacement.objects.update_or_create(new=standard, old=old, defaults={"extent": extent})
    # Listed as current elsewhere, but wholly replaced: superseded when this one applies.
    for old in retiring:
        old.stage, old.withdrawn_date = Stage.SUPERSEDED, day
        old.save(update_fields=["stage", "withdrawn_date", "updated_at"])  # with its history
    if adoption:
        save_adoption(standard, adoption)
    report.changes += len(
        changes.record_changes(Standard, before, touched, actor=actor, via=ChangeVia.IMPORT)
    )
