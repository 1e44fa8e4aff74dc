from django.apps import AppConfig
from django.db import transaction
from django.utils.translation import gettext_lazy as _

ALERT_BATCH = 1000  # change ids per task: an import writes tens of thousands


def _enqueue_recorded_changes(sender, change_ids: list[int], **kwargs) -> None:
    """Queue the immediate alerts for Change rows that standards.changes wrote (every
    writer goes through it: curators' saves, imports, the API), once their transaction
    commits: by then their sectors are written, and a rolled-back change alerts no one."""
    from accounts.tasks import send_recorded_change_alerts

    def enqueue() -> None:
        for start in range(0, len(change_ids), ALERT_BATCH):
            send_recorded_change_alerts.enqueue(change_ids=change_ids[start : start + ALERT_BATCH])

    transaction.on_commit(enqueue)


def _read_watch_button(sender, request, record, **kwargs) -> None:
    """A record page's watch button, read before its template renders (no query there)."""
    from accounts.watchlists import watch_state

    watch_state(request, record)


def _read_sheet_watch(sender, request, **kwargs) -> None:
    """A requirement sheet's "watch all its standards" form, read before its template."""
    from accounts.watchlists import sheet_watch_state

    sheet_watch_state(request)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from standards.changes import changes_recorded
        from standards.views.records import record_shown
        from standards.views.sheet_exports import sheet_shown

        changes_recorded.connect(_enqueue_recorded_changes, dispatch_uid="accounts.recorded_alerts")
        record_shown.connect(_read_watch_button, dispatch_uid="accounts.watch_button")
        sheet_shown.connect(_read_sheet_watch, dispatch_uid="accounts.sheet_watch")
