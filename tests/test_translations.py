"""Every UI string has a real Chinese translation, and the compiled catalogue is current.

The strings are extracted here without GNU gettext: Python files through `ast`, templates
through Django's own `templatize` (what makemessages feeds to xgettext).
"""

import ast
import gettext as gnu_gettext
import re
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
APPS = ["cesip", "sectors", "standards", "accounts"]

SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
CONTEXT = {"pgettext", "pgettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}

_STR = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATE_CALL = re.compile(
    rf"\b(gettext|pgettext|ngettext|npgettext)\(\s*({_STR})(?:\s*,\s*({_STR}))?(?:\s*,\s*({_STR}))?"
)


def _python_messages(path: Path) -> set[tuple[str | None, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if name in SINGULAR | PLURAL and args and isinstance(args[0], str):
            found.add((None, args[0]))
        elif name in CONTEXT | CONTEXT_PLURAL and len(args) > 1 and isinstance(args[1], str):
            found.add((args[0], args[1]))
    return found


def _template_messages(path: Path) -> set[tuple[str | None, str]]:
    found = set()
    for match in _TEMPLATE_CALL.finditer(templatize(path.read_text(encoding="utf-8"))):
        function = match.group(1)
        strings = [ast.literal_eval(s) for s in match.groups()[1:] if s is not None]
        if function in ("pgettext", "npgettext"):
            found.add((strings[0], strings[1]))
        else:
            found.add((None, strings[0]))
    return found


def ui_messages() -> set[tuple[str | None, str]]:
    messages = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                messages |= _python_messages(path)
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix in {".html", ".txt"}:
            messages |= _template_messages(path)
    return messages


def test_extractor_finds_strings_in_code_and_templates():
    messages = {msgid for _, msgid in ui_messages()}
    assert "Skip to main content" in messages  # base.html
    assert "preferred language" in messages  # accounts/models.py
    assert (
        "Your search was shortened: at most %(terms)s words and %(limit)s characters are "
        "searched." in messages
    )  # standards/search.html, a blocktranslate with variables


def test_every_ui_string_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO_PATH))
    entries = {(e.msgctxt, e.msgid): e for e in catalogue if not e.obsolete}
    problems = []
    for context, msgid in sorted(ui_messages(), key=lambda m: (m[0] or "", m[1])):
        entry = entries.get((context, msgid))
        if entry is None:
            problems.append(f"not in django.po (run `make messages`): {msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {msgid!r}")
        elif not (entry.msgstr or any(entry.msgstr_plural.values())):
            problems.append(f"untranslated: {msgid!r}")
        elif entry.msgstr and not re.search(r"[\u3400-\u9fff]", entry.msgstr):
            problems.append(f"translation has no Chinese: {msgid!r} -> {entry.msgstr!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_the_po_file():
    catalogue = polib.pofile(str(PO_PATH))
    with MO_PATH.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            got = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if (entry.msgctxt)
                else compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            )
            want = entry.msgstr_plural[0]
        else:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            want = entry.msgstr
        if got != want:
            stale.append(entry.msgid)
    assert not stale, f"django.mo is out of date (run `make messages`): {stale[:5]}"


@pytest.mark.parametrize(
    "path,language,expected",
    [("/en/", "en", "Skip to main content"), ("/zh-hans/", "zh-hans", "跳到主要内容")],
)
def test_pages_render_in_the_language_of_their_prefix(client, sectors, path, language, expected):
    response = client.get(path)
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert expected in html
