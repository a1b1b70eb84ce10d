"""A batch's challenge emails are rendered once per kind and only the names and link filled in per challenge
(signatures.emails.draft_email): each must be, to the byte, the email rendering it whole gives, whatever the
names hold (markup, quotes, ampersands, links, percent signs, template syntax), in every language."""

import math
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from petitions.models import Petition
from signatures.emails import _blank, defanged, draft_email, send_email
from signatures.models import Signature
from verification import challenges, emails
from verification.models import Affiliation, RosterChallenge, RosterEntry

NAMES = [
    "Ada Lovelace",
    '<b>Jane</b> & "O\'Brien"',
    "https://evil.example/x?a=1&b=<2>",
    "Zoë 100% {{ link }} {% now 'Y' %} %(title)s",
    "Ménard &amp; fils",
]


def whole(challenge: RosterChallenge) -> None:
    """The challenge email rendered whole, as verification.emails sent it before drafts."""
    signature = challenge.signature
    petition = signature.petition
    link = f"{settings.SITE_URL}{reverse('signatures:challenge', args=[challenges.token(challenge)])}"
    context = {
        "challenge": challenge,
        "petition": petition,
        "typed_name": defanged(signature.full_name),
        "affiliation": signature.affiliation,
        "roster_name": defanged(challenge.roster_entry.full_name),
        "link": link,
        "petition_url": f"{settings.SITE_URL}{petition.get_absolute_url()}",
        "days": max(1, math.ceil((challenge.expires_at - timezone.now()).total_seconds() / 86400)),
    }
    send_email(
        to=challenge.address,
        language=signature.language,
        subject=lambda: gettext("Did you sign “%(title)s”?") % {"title": petition.title},
        template="verification/email/challenge",
        context=context,
    )


def sent_as_data(message) -> tuple:
    return (message.subject, message.body, message.alternatives, message.to, message.from_email, message.extra_headers)


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES] + ["de"])
def test_a_drafted_challenge_email_is_the_whole_one_to_the_byte(language, settings, monkeypatch):
    # The links' tokens carry the second they were made in: one second for both ways, so they can be compared.
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: "1xWMmf")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    petition = Petition(pk=3, slug="a-letter", title='A letter <on> "things" & 100% more')
    affiliation = Affiliation(pk=4, name="Ateliers & <Studios>")
    made = []
    for n, (typed, listed) in enumerate(zip(NAMES, reversed(NAMES), strict=True)):
        for days in (1, 2, 7):
            signature = Signature(
                pk=10 + n, petition=petition, affiliation=affiliation, full_name=typed, language=language
            )
            entry = RosterEntry(pk=20 + n, affiliation=affiliation, full_name=listed)
            expires = timezone.now() + timedelta(days=days, minutes=-5)
            made.append(
                RosterChallenge(
                    pk=100 + len(made),
                    signature=signature,
                    roster_entry=entry,
                    address=f"member{n}@studio.org",
                    expires_at=expires,
                )
            )
    for challenge in made:
        whole(challenge)
    expected = [sent_as_data(m) for m in mail.outbox]
    mail.outbox.clear()

    drafts = {}
    for challenge in made:
        emails._send_one(challenge, None, drafts)

    assert [sent_as_data(m) for m in mail.outbox] == expected
    assert len(drafts) == 3  # one per number of days left: one render each
    assert all("<" in m.body or "&" in m.body for m in mail.outbox[1:2])  # the text part is not escaped


def test_a_blank_the_template_changes_is_never_sent(settings):
    """A stand-in the template changed (a filter, a truncation) cannot be filled: the email is refused rather than
    sent with it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    draft = draft_email(
        language="en",
        subject=lambda: "Hello",
        template="verification/email/challenge",
        context={"petition": Petition(slug="x", title="X"), "affiliation": Affiliation(name="A"), "days": 3},
        blanks=("typed_name", "roster_name", "link"),
    )
    mangled = type(draft)(draft.language, draft.subject, draft.text, draft.html + _blank("link")[:-3], draft.blanks)
    with pytest.raises(ValueError, match="changed by the template"):
        mangled.send(to="a@example.org", values={"typed_name": "A", "roster_name": "B", "link": "https://x/"})
    assert mail.outbox == []
