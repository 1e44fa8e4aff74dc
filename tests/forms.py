"""Read a rendered HTML form the way a browser submits it, so tests can post admin
forms (with their inline management forms) after changing a few fields."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (self.form_id is None or attrs.get("id") == self.form_id):
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.data.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def _forms_end(html: str) -> int:
    """Where the page's last form ends: nothing after it is inside a form, so the rest
    (an import preview's table of a thousand rows, say) need not be parsed."""
    lower = html.lower()
    last = lower.rfind("<form")
    if last == -1:
        return 0
    end = lower.find("</form>", last)
    return len(html) if end == -1 else end + len("</form>")


def form_data(html: str, form_id: str | None = None) -> dict[str, str | list[str]]:
    """The fields a browser would submit; repeated names become lists."""
    if form_id is not None and form_id not in html:
        return {}
    reader = _FormReader(form_id)
    reader.feed(html[: _forms_end(html)])
    data: dict[str, str | list[str]] = {}
    for name, value in reader.data:
        if name in data:
            existing = data[name]
            data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            data[name] = value
    return data


def form_errors(response) -> str:
    """The error lists of a re-rendered form, as text, for assertion messages."""
    import re

    html = response.content.decode()
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    found += re.findall(r'<p class="errornote">(.*?)</p>', html, re.S)
    return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", e).split()) for e in found)
