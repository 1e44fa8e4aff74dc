import time

from django.core.management.base import BaseCommand

from standards.search import engine


class Command(BaseCommand):
    help = (
        "Apply the search log to this node's search index (the task worker does it after "
        "every write; a web node without a worker runs this with --every). Builds the "
        "index first when there is none."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep following, a run every SECONDS (Ctrl-C stops).",
        )

    def handle(self, *args, every=0, **options) -> None:
        while True:
            report = engine.follow()
            if report.skipped:
                self.stdout.write(f"Search index: skipped, {report.skipped}.")
            elif report.built:
                self.stdout.write(f"Search index: built, {report.applied} standards.")
            elif report.applied or report.status_moved or not every:
                self.stdout.write(
                    f"Search index: {report.applied} standards read again "
                    f"({report.removed} removed, {report.status_moved} with a new status)."
                )
            if not every:
                return
            time.sleep(every)
