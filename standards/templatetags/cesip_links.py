"""Links to other sites: only http and https addresses become links.

`{% with href=url|web_url %}{% if href %}<a href="{{ href }}">…</a>{% else %}…{% endif %}`:
a stored address that is anything else (`javascript:`, `data:`, a bare word, one a
browser would read otherwise) is shown as text, never linked. The importers and the
admin refuse such addresses (cesip.sources); this covers rows stored before they did.
"""

from django import template

from cesip import sources

register = template.Library()
register.filter("web_url", sources.web_url)
