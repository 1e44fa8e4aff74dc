"""Building the e-mails the site sends: one message from three templates,
`<prefix>.subject.txt`, `<prefix>.txt` and `<prefix>.html`, in the reader's language.

The subject and the text part are plain text: they are rendered without HTML escaping,
so "Smith & O'Brien" arrives as typed; the HTML part escapes as every page does. The
account e-mails, the password reset and the digests are all built here.

Neutral: imports no app of the project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.backends.django import Template
from django.template.context import make_context
from django.template.loader import get_template
from django.utils import translation


def _template(template: str | Template) -> Template:
    return get_template(template) if isinstance(template, str) else template


def render_text(template: str | Template, context: Mapping[str, Any]) -> str:
    """`template` (a name, or one already loaded) rendered as plain text: no escaping."""
    return _template(template).template.render(make_context(dict(context), autoescape=False))


def render_html(template: str | Template, context: Mapping[str, Any]) -> str:
    """`template` rendered as HTML, escaping as the site's pages do."""
    return _template(template).render(dict(context))


def compose(
    subject: str,
    text: str,
    html: str,
    *,
    to: Sequence[str],
    from_email: str | None = None,
    headers: Mapping[str, str] | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """A message with a plain-text body and its HTML alternative; the caller sends it.
    `from_email` defaults to DEFAULT_FROM_EMAIL."""
    message = EmailMultiAlternatives(
        # A header holds one line: the template's line breaks and indents go.
        " ".join(subject.split()),
        text,
        from_email or settings.DEFAULT_FROM_EMAIL,
        list(to),
        headers=dict(headers or {}),
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def build_message(
    template_prefix: str,
    context: Mapping[str, Any],
    *,
    to: Sequence[str],
    language: str,
    **options,
) -> EmailMultiAlternatives:
    """The message `<template_prefix>.{subject.txt,txt,html}` make for `to`, written in
    `language`; `options` are compose()'s."""
    with translation.override(language):
        subject = render_text(f"{template_prefix}.subject.txt", context)
        text = render_text(f"{template_prefix}.txt", context)
        html = render_html(f"{template_prefix}.html", context)
    return compose(subject, text, html, to=to, **options)
