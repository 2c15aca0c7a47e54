from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from weishang.ledger.selectors import drift, unbalanced_journals


class Command(BaseCommand):
    help = ("Recompute every account balance from its entries and report any drift or unbalanced journal; "
            "also check that each agent's pending earnings account equals its pending earnings.")

    def handle(self, *args, **options):
        problems = 0
        for journal_id in unbalanced_journals():
            problems += 1
            self.stdout.write(self.style.ERROR(f"journal {journal_id} does not sum to zero"))
        for acc, cached, actual in drift():
            problems += 1
            self.stdout.write(self.style.ERROR(f"{acc.key}: cached {cached} != entries {actual}"))
        if apps.is_installed("weishang.earnings"):
            from weishang.earnings.selectors import pending_mismatches

            for agent_id, currency, balance, expected in pending_mismatches():
                problems += 1
                self.stdout.write(self.style.ERROR(
                    f"agent {agent_id} {currency}: pending account {balance} != pending earnings {expected}"))
        if problems:
            raise CommandError(f"{problems} ledger problem(s) found")
        self.stdout.write(self.style.SUCCESS("Ledger OK: every journal balances and every balance matches its entries."))
