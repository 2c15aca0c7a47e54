from django.core.management.base import BaseCommand

from weishang.earnings.services import release_due


class Command(BaseCommand):
    help = "Move pending earnings whose return window has closed (and no refund is open) to available, once."

    def handle(self, *args, **options):
        n = release_due()
        self.stdout.write(f"{n} earning(s) released")
