import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.digests import send_scheduled_digests
from accounts.models import Frequency


class Command(BaseCommand):
    help = (
        "Send the daily or weekly change digests for the period that just ended (run from "
        "cron; safe to run twice or in parallel). --frequency immediate retries failed "
        "immediate alerts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=Frequency.values,
            default=Frequency.DAILY,
        )
        parser.add_argument(
            "--now", help="Pretend it is this ISO 8601 date-time (UTC if no offset); for tests."
        )

    def handle(self, *args, frequency: str, now: str | None, **options):
        when = timezone.now()
        if now:
            try:
                when = datetime.datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now: {error}") from error
            if timezone.is_naive(when):
                when = when.replace(tzinfo=datetime.UTC)
        outcome = send_scheduled_digests(frequency=frequency, now=when)
        for status in ("sent", "empty", "failed", "abandoned", "skipped"):
            self.stdout.write(f"{frequency} digests {status}: {outcome.get(status, 0)}")
