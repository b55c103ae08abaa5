"""Run from cron (every few minutes is fine: each step is idempotent):

    python manage.py reservations_lottery

It draws the lotteries whose applications have closed, ends those past their confirmation
deadline (releasing unconfirmed wins), and cancels bookings left unpaid after their payment
deadline (`lottery.run_due`)."""

from typing import Any

from django.core.management.base import BaseCommand

from yakuba.modules.reservations import lottery


class Command(BaseCommand):
    help = (
        "Draw closed lotteries, release unconfirmed wins after the deadline, and cancel bookings "
        "unpaid after their payment deadline."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = lottery.run_due()
        if options["verbosity"] > 0:
            for drawn in run.drawn:
                self.stdout.write(f"Drew lottery {drawn.pk} ({drawn.title}).")
            for finished in run.finished:
                self.stdout.write(f"Finished lottery {finished.pk} ({finished.title}).")
            self.stdout.write(
                f"Released {run.released_wins} unconfirmed win(s) and "
                f"{len(run.released_unpaid)} unpaid booking(s)."
            )
