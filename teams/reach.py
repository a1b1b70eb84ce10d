"""Issue 10's "powers in their lane": what a change to a shared roster or domain policy does to other teams.

An affiliation is kept by its keepers (teams.scope.can_keep), but every letter offering it relies on its
roster and domain policy. So before a keeper changes them, `roster_reach` and `domain_policy_reach` count, per
letter, the claims the change will move (a dry run: nothing is written); the change itself goes through
`change_domain_policy` or `record_roster_change`, which record it (AffiliationChange + the audit trail) and,
when it reaches letters outside the changer's own team, email those letters' moderators and organisers
(task `notify_affiliation_change`, after the commit).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q

from petitions.models import Petition
from signatures.addresses import email_domain
from signatures.models import Signature
from verification import preview, rosters
from verification.claims import claims_to_recheck
from verification.models import Affiliation, RosterImport

from . import tasks
from .audit import record
from .models import AffiliationChange

DOMAIN_FIELDS = ("email_domains", "domain_policy", "domain_subdomains")


@dataclass
class LetterReach:
    """One letter a change reaches: how many of its claims move, and whether it is the changer's team's."""

    petition: Petition
    claims: int
    own: bool
    verified: int = 0  # of the claims, those that become verified (an upload's dry run)
    unverified: int = 0  # and those that stop being verified

    @property
    def shown_title(self) -> str:
        """Another team's draft is not the changer's to read: it is named as such, not by its title."""
        if self.own or self.petition.is_public:
            return self.petition.title
        return "a draft letter of another team"


def team_letter_ids(user) -> set[int]:
    """The letters this user is on (as organiser or moderator): changes reaching only these stay in the team."""
    if user is None:
        return set()
    listed = Petition.moderators.through.objects.filter(user=user).values_list("petition_id", flat=True)
    organised = Petition.objects.filter(organisers__user=user).values_list("pk", flat=True)
    return set(listed) | set(organised)


def _reach(affiliation: Affiliation, counts: dict[int, int], user) -> list[LetterReach]:
    """Every letter offering the affiliation or holding claims to it, with its count (0 if none move)."""
    offering = Petition.objects.filter(Q(affiliations=affiliation) | Q(pk__in=counts.keys())).distinct()
    own = team_letter_ids(user)
    letters = [LetterReach(p, counts.get(p.pk, 0), p.pk in own) for p in offering.order_by("title")]
    return sorted(letters, key=lambda r: (r.own, -r.claims, r.petition.title))


def roster_reach(affiliation: Affiliation, user) -> list[LetterReach]:
    """Per letter, the claims a roster change puts back to the workers (every claim not settled by a person)."""
    rows = (
        claims_to_recheck(Signature.objects.filter(affiliation=affiliation))
        .order_by()
        .values("petition_id")
        .annotate(claims=Count("pk"))
    )
    return _reach(affiliation, {row["petition_id"]: row["claims"] for row in rows}, user)


def import_reach(upload: RosterImport, user) -> list[LetterReach]:
    """Per letter, the claims whose verdict an upload changes, as its dry run found them (verification.preview):
    only the letters it changes."""
    return _changed(upload.affiliation, upload.preview.get("letters", {}), user)


def roster_write_reach(affiliations: list[Affiliation], write, user) -> dict[int, list[LetterReach]]:
    """Per affiliation, the letters whose claims' verdicts a roster write (an entry saved or deleted through
    verification.rosters) changes, and how: the write is run and rolled back (verification.preview.dry_run)."""
    outcome = preview.dry_run([a.pk for a in affiliations], write)
    return {a.pk: _changed(a, outcome.get(a.pk, {}), user) for a in affiliations}


def _changed(affiliation: Affiliation, letters: dict[str, dict[str, int]], user) -> list[LetterReach]:
    counts = {int(pk): letter for pk, letter in letters.items()}
    reach = _reach(affiliation, {pk: letter["changed"] for pk, letter in counts.items()}, user)
    for letter in reach:
        found = counts.get(letter.petition.pk, {})
        letter.verified, letter.unverified = found.get("verified", 0), found.get("unverified", 0)
    return [letter for letter in reach if letter.claims]


def describe(reach: list[LetterReach]) -> str:
    """The letters a change reaches, in a sentence for a confirmation (another team's draft is not named)."""
    parts = []
    for letter in reach:
        team = "yours" if letter.own else "another team's"
        parts.append(
            f"“{letter.shown_title}” ({team}): {letter.claims} claim(s), {letter.verified} become verified, "
            f"{letter.unverified} stop being verified"
        )
    return "; ".join(parts)


def domain_policy_reach(affiliation: Affiliation, proposed: Affiliation, user) -> list[LetterReach]:
    """Per letter, the claims whose address the proposed domain policy judges differently from the current one.

    A dry run over the claims the workers may still decide (one streamed query); `proposed` is an unsaved
    copy carrying the new email_domains, domain_policy and domain_subdomains.
    """
    counts: dict[int, int] = {}
    claims = claims_to_recheck(Signature.objects.filter(affiliation=affiliation)).order_by()
    for petition_id, email in claims.values_list("petition_id", "email").iterator(chunk_size=2000):
        domain = email_domain(email)
        if bool(affiliation.membership_domain(domain)) != bool(proposed.membership_domain(domain)):
            counts[petition_id] = counts.get(petition_id, 0) + 1
    return _reach(affiliation, counts, user)


def proposed_policy(affiliation: Affiliation, **fields) -> Affiliation:
    """An unsaved copy of `affiliation` with the proposed domain fields, cleaned as a save would clean them
    (ValidationError if the domains cannot prove membership)."""
    proposed = Affiliation(
        pk=affiliation.pk, slug=affiliation.slug, name=affiliation.name, description=affiliation.description
    )
    for name in DOMAIN_FIELDS:
        setattr(proposed, name, fields.get(name, getattr(affiliation, name)))
    proposed.full_clean(exclude=["slug"], validate_unique=False)
    return proposed


def change_domain_policy(affiliation: Affiliation, proposed: Affiliation, user) -> AffiliationChange | None:
    """Save the proposed domain policy, re-check the affiliation's claims, record it and tell the other teams.

    None if nothing changed. The caller has checked the user keeps the affiliation (teams.scope.can_keep).
    """
    before = {name: getattr(affiliation, name) for name in DOMAIN_FIELDS}
    after = {name: getattr(proposed, name) for name in DOMAIN_FIELDS}
    if before == after:
        return None
    reach = domain_policy_reach(affiliation, proposed, user)
    with transaction.atomic():
        for name, value in after.items():
            setattr(affiliation, name, value)
        affiliation.save(update_fields=list(DOMAIN_FIELDS))
        rosters.domains_changed(affiliation, user)
        policy = "on" if affiliation.domain_policy else "off"
        summary = f"Domain policy {policy}, domains “{affiliation.email_domains or '—'}”"
        if affiliation.domain_subdomains:
            summary += " (subdomains too)"
        return _record(affiliation, AffiliationChange.Kind.DOMAIN_POLICY, summary, reach, user)


def record_roster_change(
    affiliation: Affiliation, summary: str, reach: list[LetterReach], user
) -> AffiliationChange | None:
    """A roster write (made through verification.rosters) that reaches other teams' letters, recorded and told.

    `reach` is what roster_reach counted before the write: the claims the write puts back to the workers. A
    write that reaches only the changer's own letters is recorded by the import's own audit line alone.
    """
    if all(r.own or not r.claims for r in reach):
        return None
    with transaction.atomic():
        return _record(affiliation, AffiliationChange.Kind.ROSTER, summary, reach, user)


def _record(affiliation: Affiliation, kind: str, summary: str, reach: list[LetterReach], user) -> AffiliationChange:
    """The change as a row and an audit line; the other teams' letters (all that rely on the affiliation, with
    the claims moved on each) are told after the commit."""
    others = {str(r.petition.pk): r.claims for r in reach if not r.own and r.claims}
    change = AffiliationChange.objects.create(
        affiliation=affiliation, kind=kind, summary=summary[:500], changed_by=user, reach=others
    )
    told = ""
    if others:
        moved = sum(others.values())
        told = f" It re-checks {moved} claim(s) on {len(others)} letter(s) of other teams, whose moderators are told."
    record(user, affiliation, f"{change.get_kind_display()} changed: {summary}.{told}")
    if others:
        tasks.notify_affiliation_change.delay_on_commit(change.pk)
    return change


def record_roster_import(sender, import_id: int, changed: bool = True, **kwargs) -> None:
    """Receiver of verification.signals.roster_imported: an upload the worker has written, in its transaction,
    in the uploader's audit trail, and recorded and told like any roster change that reaches other teams'
    letters (`record_roster_change`)."""
    upload = RosterImport.objects.select_related("affiliation", "imported_by", "confirmed_by").get(pk=import_id)
    replacing = ", replacing the roster" if upload.replaced else ""
    summary = (
        f"Imported {upload.filename} ({upload.rows} rows{replacing}): "
        f"{upload.created} created, {upload.updated} updated, {upload.removed} removed."
    )
    if upload.confirmed_by is not None:
        summary += f" Its dry run was confirmed by {upload.confirmed_by.email}."
    record(upload.imported_by, upload.affiliation, summary)
    if changed:
        # The letters told are those whose verdicts it changes, as its dry run counted them.
        reach = import_reach(upload, upload.imported_by)
        record_roster_change(upload.affiliation, summary, reach, upload.imported_by)
