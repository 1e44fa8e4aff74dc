from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _enqueue_change_alerts(sender, instance, created: bool, **kwargs) -> None:
    """Queue the immediate alerts for a new Change once its transaction commits (by then
    its sectors are written, and a rolled-back change alerts no one)."""
    if not created or kwargs.get("raw"):
        return
    from accounts.tasks import send_change_alerts

    change_id = instance.pk
    transaction.on_commit(lambda: send_change_alerts.enqueue(change_id=change_id))


ALERT_BATCH = 1000  # change ids per task: an import writes tens of thousands


def _enqueue_recorded_changes(sender, change_ids: list[int], **kwargs) -> None:
    """The same for Change rows written in bulk (curators' saves, imports)."""
    from accounts.tasks import send_recorded_change_alerts

    def enqueue() -> None:
        for start in range(0, len(change_ids), ALERT_BATCH):
            send_recorded_change_alerts.enqueue(change_ids=change_ids[start : start + ALERT_BATCH])

    transaction.on_commit(enqueue)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from standards.changes import changes_recorded

        post_save.connect(
            _enqueue_change_alerts, sender="standards.Change", dispatch_uid="accounts.change_alerts"
        )
        changes_recorded.connect(_enqueue_recorded_changes, dispatch_uid="accounts.recorded_alerts")
