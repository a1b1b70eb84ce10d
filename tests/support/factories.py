"""Small builders for the models, going through the same services the product uses."""

import itertools

from django.contrib.auth import get_user_model

from petitions.models import Petition
from petitions.moderators import make_moderator as make_moderator_of
from signatures import services
from signatures.models import Signature
from verification.models import Affiliation, RosterEntry

_seq = itertools.count(1)
PASSWORD = "correct-horse-9"


def make_affiliation(slug: str = "", **fields) -> Affiliation:
    n = next(_seq)
    slug = slug or f"group-{n}"
    fields.setdefault("name", slug.replace("-", " ").title())
    return Affiliation.objects.create(slug=slug, **fields)


def make_petition(*, status: str = Petition.Status.OPEN, affiliations=(), moderators=(), **fields) -> Petition:
    n = next(_seq)
    fields.setdefault("title", f"Letter {n}")
    fields.setdefault("slug", f"letter-{n}")
    fields.setdefault("body", "We, the undersigned, ask for **better** things.")
    petition = Petition.objects.create(**fields)
    petition.affiliations.set(affiliations)
    petition.moderators.set(moderators)
    if status != Petition.Status.DRAFT:
        petition.publish()
    if status in (Petition.Status.CLOSED, Petition.Status.ARCHIVED):
        petition.close()
    if status == Petition.Status.ARCHIVED:
        petition.archive()
    return petition


def make_roster_entry(affiliation: Affiliation, full_name: str, email: str = "", **fields) -> RosterEntry:
    return RosterEntry.objects.create(affiliation=affiliation, full_name=full_name, email=email, **fields)


def make_signature(
    petition: Petition, *, confirmed: bool = True, full_name: str = "", email: str = "", **fields
) -> Signature:
    """Signs through the service (and confirms, by default), so counters and tasks behave as in production."""
    n = next(_seq)
    details = {
        "full_name": full_name or f"Signer {n}",
        "email": email or f"signer{n}@example.org",
        "affiliation": None,
        "role": "",
        "organisation": "",
        "comment": "",
        "public": True,
    }
    details.update(fields)
    signature = services.sign(petition, details)
    if confirmed:
        signature = services.confirm(signature.pk)
    signature.refresh_from_db()
    return signature


def make_user(email: str, *, staff: bool = True, superuser: bool = False, password: str = PASSWORD):
    user = get_user_model().objects.create_user(
        username=email, email=email, password=password, is_staff=staff, is_superuser=superuser
    )
    return user


def make_moderator(email: str, petitions=()):
    """A moderator (made the product's one way), listed on `petitions`."""
    user = make_user(email, staff=False)
    make_moderator_of(user)
    for petition in petitions:
        petition.moderators.add(user)
    return user


def make_checked_signature(petition: Petition, **fields) -> Signature:
    """A confirmed signature whose queued tasks have run: its claim is checked against the roster as it stands."""
    from tests.support.queued import settled

    with settled():
        signature = make_signature(petition, **fields)
    signature.refresh_from_db()
    return signature


def make_organiser(email: str, petitions=(), keeps=()):
    """An organiser (made the product's one way) of `petitions`, keeping the rosters of `keeps`."""
    from teams.roles import add_keeper, add_organiser, make_organiser

    user = make_user(email, staff=False)
    make_organiser(user)
    for petition in petitions:
        add_organiser(petition, user)
    for affiliation in keeps:
        add_keeper(affiliation, user)
    return user
