import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from demo import story as demo
from petitions.models import Petition
from petitions.moderators import make_moderator
from signatures import services
from signatures.models import Signature
from teams.roles import add_keeper, add_organiser
from verification import claims
from verification.models import Affiliation
from verification.rosters import import_roster


class Command(BaseCommand):
    help = (
        "Create the demo open letter (sora-alpha-artist), its roster, signers in every state, a moderator and an "
        "organiser who keeps the roster."
    )

    def handle(self, *args, **options):
        if Petition.objects.filter(slug=demo.LETTER["slug"]).exists():
            self.stdout.write("The demo letter is already there; nothing to do.")
            return
        admin_password = self.ensure_admin()
        affiliation = Affiliation.objects.create(**demo.AFFILIATION)
        record = import_roster(affiliation, demo.roster_csv(), "demo-roster.csv", replace=True)
        letter = Petition.objects.create(**demo.LETTER)
        letter.affiliations.add(affiliation)
        letter.publish()
        moderator = self.ensure_moderator(letter)
        organiser = self.ensure_organiser(letter, affiliation)

        for signer in demo.signers():
            self.sign(
                letter,
                signer.full_name,
                signer.email,
                affiliation,
                role=signer.role,
                organisation=signer.organisation,
                comment=signer.comment,
                answer=signer.answer,
            )
        self.sign(letter, "Robin Ellis", "robin@mail.example", None, comment="Not an artist, but I support this.")
        self.sign(letter, "Sam Private", "sam@mail.example", None, public=False)
        self.sign(letter, "Uma Unconfirmed", "uma@mail.example", affiliation, confirm=False)
        withdrawn = self.sign(letter, "Walt Withdrawn", "walt@mail.example", affiliation)
        services.withdraw(withdrawn.pk)
        refused = Signature.objects.get(petition=letter, email_key="maya.cohen@mail.example")
        claims.reject_claim(refused, moderator, note="Demo: the programme says this person never took part.")
        queued = self.sign(letter, "Pat Pending", "pat@mail.example", affiliation)
        if queued.verification != Signature.Verification.VERIFIED:
            # Shown as it would be while the workers are busy; `verify_signatures` settles it.
            Signature.objects.filter(pk=queued.pk).update(verification=Signature.Verification.PENDING)

        letter.refresh_from_db()
        self.stdout.write(
            f"Demo letter: {settings.SITE_URL}{letter.get_absolute_url()} — {letter.signature_count} confirmed "
            f"signatures; roster of {record.rows} members."
        )
        if admin_password:
            self.stdout.write(f"Admin: {settings.SITE_URL}/admin/ — admin@example.org / {admin_password}")
        self.stdout.write(f"Moderator of the demo letter: {moderator.email} (set a password in the admin).")
        self.stdout.write(
            f"Organiser of the demo letter, keeper of its roster: {organiser.email} (set a password in the admin)."
        )

    def sign(self, petition, full_name, email, affiliation, *, confirm=True, public=True, answer="", **details):
        """Sign and confirm as the signer would; a roster member's `answer` to the challenge is given at once
        (in the same transaction, so the challenge email is never sent: the demo's addresses are not real)."""
        fields = {"role": "", "organisation": "", "comment": ""} | details
        with transaction.atomic():
            signature = services.sign(
                petition,
                {"full_name": full_name, "email": email, "affiliation": affiliation, "public": public, **fields},
                send_email=False,  # demo addresses: nobody to email
            )
        if confirm:
            with transaction.atomic():
                signature = services.confirm(signature.pk)
                if answer:
                    for challenge_id in claims.verify_claim(signature.pk, worker="seed_demo"):
                        claims.answer_challenge(challenge_id, confirmed=answer == "yes")
        signature.refresh_from_db()
        return signature

    def ensure_admin(self) -> str | None:
        """A superuser for the demo, with a fresh random password printed once."""
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            return None
        password = secrets.token_urlsafe(12)
        users.create_superuser(username="admin@example.org", email="admin@example.org", password=password)
        return password

    def ensure_moderator(self, petition: Petition):
        user, _ = get_user_model().objects.get_or_create(
            username="moderator@example.org", defaults={"email": "moderator@example.org"}
        )
        make_moderator(user)
        petition.moderators.add(user)
        return user

    def ensure_organiser(self, petition: Petition, affiliation: Affiliation):
        """The demo letter's organiser, who keeps the affiliation's roster (only keepers see or change it)."""
        user, _ = get_user_model().objects.get_or_create(
            username="organiser@example.org", defaults={"email": "organiser@example.org"}
        )
        add_organiser(petition, user)
        add_keeper(affiliation, user)
        return user
