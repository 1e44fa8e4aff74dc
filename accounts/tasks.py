"""Background work for accounts, run by the task worker (manage.py db_worker)."""

from django_tasks import task

from accounts import digests
from accounts.models import Frequency, Subscription


@task()
def send_recorded_change_alerts(change_ids: list[int]) -> dict:
    """Immediate alerts for a batch of Change rows written together (an edit, an import)."""
    sent: dict = {}
    if not Subscription.objects.filter(active=True, frequency=Frequency.IMMEDIATE).exists():
        return sent
    for change_id in change_ids:
        for key, value in digests.send_change_alerts(change_id=change_id).items():
            sent[key] = sent.get(key, 0) + value
    return sent
