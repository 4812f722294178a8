from django.core.management.base import BaseCommand

from console.demo import demo_seed


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        for username, password, role in demo_seed():
            self.stdout.write(f"  {username:<8} / {password}   ({role})")
