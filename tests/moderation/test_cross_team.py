"""Two teams side by side: nothing of team B's letters, rosters, signers or exports is reachable by team A's
organiser or moderator, by any admin URL, action, filter, search, autocomplete or export; and a change to a
shared roster or domain policy reaches B's letter only through the recorded, notified path (issue 10)."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from signatures.models import Signature
from teams import invitations
from teams.models import AffiliationChange
from tests.support.factories import make_roster_entry, make_signature
from tests.support.teams import body_of, make_team
from verification.models import Evidence, Recheck, RosterEntry, RosterImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(settled, superuser):
    """Teams A and B, each with a checked claim, a roster entry, an import, a re-check and an invitation."""
    with settled():
        a, b = make_team("alpha"), make_team("beta", member="Bea Member")
    for team in (a, b):
        team.signature.refresh_from_db()
        team.entry = make_roster_entry(team.affiliation, f"Member of {team.name}", external_id=f"{team.name}-1")
        team.roster_import = RosterImport.objects.create(affiliation=team.affiliation, filename=f"{team.name}.csv")
        team.recheck = Recheck.objects.create(reason=f"{team.name} re-check", affiliation=team.affiliation)
        team.invitation = invitations.invite(f"invitee@{team.name}.example", "moderator", team.letter, team.organiser)
        team.evidence = Evidence.objects.filter(signature=team.signature).first()
    return a, b


def notices(outbox) -> list:
    """The emails telling a team that a shared affiliation changed (the fixtures' invitations set aside)."""
    return [message for message in outbox if "changed; your claims are re-checked" in message.subject]


def b_urls(b) -> list[str]:
    """Every admin page of one of team B's objects."""
    urls = [
        f"/admin/petitions/petition/{b.letter.pk}/change/",
        f"/admin/petitions/petition/{b.letter.pk}/history/",
        f"/admin/petitions/petition/{b.letter.pk}/delete/",
        f"/admin/petitions/petitionversion/{b.letter.current_version_id}/change/",
        f"/admin/signatures/signature/{b.signature.pk}/change/",
        f"/admin/signatures/signature/{b.signature.pk}/history/",
        f"/admin/signatures/claimreview/{b.signature.pk}/change/",
        f"/admin/verification/affiliation/{b.affiliation.pk}/change/",
        f"/admin/verification/affiliation/{b.affiliation.pk}/roster/",
        f"/admin/verification/affiliation/{b.affiliation.pk}/domains/",
        f"/admin/verification/rosterentry/{b.entry.pk}/change/",
        f"/admin/verification/rosterimport/{b.roster_import.pk}/change/",
        f"/admin/verification/recheck/{b.recheck.pk}/change/",
        f"/admin/teams/invitation/{b.invitation.pk}/change/",
    ]
    if b.evidence is not None:
        urls.append(f"/admin/verification/evidence/{b.evidence.pk}/change/")
    return urls


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_no_admin_page_of_the_other_teams_objects_opens(client, teams, role):
    a, b = teams
    client.force_login(getattr(a, role))
    for url in b_urls(b):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert b.signature.email not in response.content.decode(), url


LISTS = [
    "/admin/petitions/petition/",
    "/admin/petitions/petitionversion/",
    "/admin/signatures/signature/",
    "/admin/signatures/claimreview/",
    "/admin/verification/affiliation/",
    "/admin/verification/rosterentry/",
    "/admin/verification/rosterimport/",
    "/admin/verification/evidence/",
    "/admin/verification/recheck/",
    "/admin/teams/invitation/",
]


@pytest.mark.parametrize("role", ["organiser", "moderator"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?petition={letter}",
        "?petition__id__exact={letter}",
        "?petition__slug={slug}",
        "?affiliation={affiliation}",
        "?affiliation__id__exact={affiliation}",
        "?q={email}",
        "?q=beta",
        "?signature__petition={letter}",
    ],
)
def test_no_list_filter_or_search_shows_the_other_teams_rows(client, teams, role, query):
    a, b = teams
    client.force_login(getattr(a, role))
    query = query.format(letter=b.letter.pk, slug=b.letter.slug, affiliation=b.affiliation.pk, email=b.signature.email)
    for url in LISTS:
        response = client.get(url + query)
        page = re.sub(r'value="[^"]*" id="searchbar"', "", response.content.decode())  # the search term, echoed
        page = re.sub(r'name="next" value="[^"]*"', "", page)  # the language switcher returns to this very URL
        for secret in (b.letter.title, b.signature.full_name, b.signature.email, b.entry.full_name, "beta.csv",
                       "beta re-check", b.invitation.email, b.affiliation.name):  # fmt: skip
            assert secret not in page, (url + query, secret)


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_the_other_teams_export_is_refused(client, teams, role):
    a, b = teams
    client.force_login(getattr(a, role))
    for verification in ("verified", "all", "needs_review"):
        response = client.get(f"/admin/petitions/{b.letter.slug}/export.csv?verification={verification}")
        assert response.status_code == 403
    own = client.get(f"/admin/petitions/{a.letter.slug}/export.csv?verification=all")
    assert a.signature.email in b"".join(own.streaming_content).decode()


@pytest.mark.parametrize("role", ["organiser", "moderator"])
@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("signatures.signature", "petition"),
        ("signatures.signature", "affiliation"),
        ("petitions.petition", "affiliations"),
        ("verification.rosterentry", "affiliation"),
        ("teams.invitation", "petition"),
    ],
)
def test_admin_autocomplete_reveals_nothing_of_the_other_team(client, teams, role, source, field):
    a, b = teams
    client.force_login(getattr(a, role))
    app_label, model_name = source.split(".")
    for term in ("", "beta", "Letter"):
        response = client.get(
            "/admin/autocomplete/",
            {"app_label": app_label, "model_name": model_name, "field_name": field, "term": term},
        )
        assert response.status_code in (200, 403, 404)
        assert b.letter.title not in response.content.decode()
        assert b.affiliation.name not in response.content.decode()


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_actions_naming_the_other_teams_rows_change_nothing(client, teams, role):
    a, b = teams
    client.force_login(getattr(a, role))
    before = Signature.objects.values_list("pk", "status", "verification").get(pk=b.signature.pk)
    for action in ("approve_claims", "reject_claims", "reject_as_spam", "recheck_claims"):
        client.post("/admin/signatures/signature/", {"action": action, "_selected_action": [b.signature.pk]})
    assert client.post(f"/admin/signatures/signature/{b.signature.pk}/decide/", {"decision": "spam"}).status_code == 404
    assert Signature.objects.values_list("pk", "status", "verification").get(pk=b.signature.pk) == before
    for action in ("close", "publish", "archive"):
        client.post("/admin/petitions/petition/", {"action": action, "_selected_action": [b.letter.pk]})
    b.letter.refresh_from_db()
    assert b.letter.status == "open"
    client.post("/admin/teams/invitation/", {"action": "revoke_invitations", "_selected_action": [b.invitation.pk]})
    client.post(
        "/admin/verification/rosterentry/",
        {"action": "delete_selected", "_selected_action": [b.entry.pk], "post": "yes"},
    )
    assert RosterEntry.objects.filter(pk=b.entry.pk).exists()
    b.invitation.refresh_from_db()
    assert b.invitation.state == "pending"


def test_an_organiser_cannot_edit_the_other_teams_letter_or_roster_by_posting(client, teams):
    a, b = teams
    client.force_login(a.organiser)
    client.post(f"/admin/petitions/petition/{b.letter.pk}/change/", {"title": "Hijacked", "body": "x"})
    client.post(f"/admin/verification/rosterentry/{b.entry.pk}/change/", {"full_name": "Hijacked"})
    client.post(
        "/admin/verification/rosterentry/add/", {"affiliation": b.affiliation.pk, "full_name": "Planted member"}
    )
    client.post(
        f"/admin/verification/affiliation/{b.affiliation.pk}/domains/",
        {"email_domains": "alpha.example", "domain_policy": "on", "confirm": "yes"},
    )
    b.letter.refresh_from_db()
    b.entry.refresh_from_db()
    b.affiliation.refresh_from_db()
    assert b.letter.title == "Letter of team beta"
    assert b.entry.full_name == "Member of beta"
    assert not RosterEntry.objects.filter(full_name="Planted member").exists()
    assert (b.affiliation.email_domains, b.affiliation.domain_policy) == ("", False)


# A letter offering another team's affiliation: it sees the name, never the roster, and cannot change it.


@pytest.fixture
def shared(teams, settled):
    """Team A's letter also offers team B's affiliation, and has a claim to it at B's domain."""
    a, b = teams
    a.letter.affiliations.add(b.affiliation)
    with settled():
        claim = make_signature(a.letter, full_name="Ann Alpha", email="ann@beta.example.org", affiliation=b.affiliation)
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED
    return a, b, claim


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_a_letter_offering_another_teams_affiliation_sees_its_name_but_never_its_roster(client, shared, role):
    a, b, _ = shared
    client.force_login(getattr(a, role))
    page = client.get(f"/admin/verification/affiliation/{b.affiliation.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert b.affiliation.name in html
    assert b.entry.full_name not in html and "beta.csv" not in html and "Upload roster" not in html
    assert "Change the domain policy" not in html
    assert client.get(f"/admin/verification/affiliation/{b.affiliation.pk}/roster/").status_code == 403
    assert client.get(f"/admin/verification/affiliation/{b.affiliation.pk}/domains/").status_code == 403
    assert (
        b.entry.full_name
        not in client.get(f"/admin/verification/rosterentry/?affiliation={b.affiliation.pk}").content.decode()
    )


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_no_one_but_the_keeper_changes_a_shared_domain_policy_or_roster(client, shared, role, settled, mailoutbox):
    a, b, claim = shared
    client.force_login(getattr(a, role))
    with settled():
        client.post(
            f"/admin/verification/affiliation/{b.affiliation.pk}/change/",
            {"name": "Renamed", "description": "", "email_domains": "beta.example.org", "domain_policy": "on"},
        )
        client.post(
            f"/admin/verification/affiliation/{b.affiliation.pk}/domains/",
            {"email_domains": "beta.example.org", "domain_policy": "on", "confirm": "yes"},
        )
        client.post(
            f"/admin/verification/affiliation/{b.affiliation.pk}/roster/",
            {
                "file": SimpleUploadedFile("r.csv", b"full_name,email\nAnn Alpha,ann@beta.example.org\n"),
                "understood": "on",
            },
        )
    b.affiliation.refresh_from_db()
    claim.refresh_from_db()
    assert (b.affiliation.name, b.affiliation.email_domains, b.affiliation.domain_policy) == ("Beta members", "", False)
    assert not RosterEntry.objects.filter(full_name="Ann Alpha").exists()
    assert claim.verification == Signature.Verification.UNVERIFIED
    assert not AffiliationChange.objects.exists()
    assert notices(mailoutbox) == []


def test_the_keepers_domain_policy_change_is_counted_first_then_recorded_and_told(client, shared, settled, mailoutbox):
    a, b, claim = shared
    client.force_login(b.organiser)
    policy = {"email_domains": "beta.example.org", "domain_policy": "on"}

    preview = client.post(f"/admin/verification/affiliation/{b.affiliation.pk}/domains/", policy)
    page = preview.content.decode()
    assert "Letter of team alpha" in page and "its moderators will be told" in page
    assert "1 of them is on another team" in page
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED
    assert not AffiliationChange.objects.exists() and notices(mailoutbox) == []

    with settled():
        client.post(f"/admin/verification/affiliation/{b.affiliation.pk}/domains/", {**policy, "confirm": "yes"})
    claim.refresh_from_db()
    assert (claim.verification, claim.evidence.method) == (Signature.Verification.VERIFIED, "email_domain")
    change = AffiliationChange.objects.get()
    assert (change.kind, change.changed_by, change.reach) == ("domain_policy", b.organiser, {str(a.letter.pk): 1})
    assert change.notified_at is not None
    assert LogEntry.objects.filter(object_id=str(b.affiliation.pk), user=b.organiser).exists()
    told = {address for message in notices(mailoutbox) for address in message.to}
    assert told == {a.organiser.email, a.moderator.email}  # not B's own team, nor the keeper
    body = body_of(notices(mailoutbox)[0])
    assert "organiser@beta.example changed the domain policy" in body
    assert "Letter of team alpha: 1 claim" in body


def test_the_keepers_roster_upload_shows_the_verdicts_it_changes_then_records_and_tells(
    client, shared, settled, mailoutbox
):
    a, b, claim = shared
    client.force_login(b.organiser)
    upload = f"/admin/verification/affiliation/{b.affiliation.pk}/roster/"
    assert "Letter of team alpha" in client.get(upload).content.decode()

    roster = b"full_name,email\nAnn Alpha,ann@beta.example.org\n"
    with settled():
        page = client.post(upload, {"file": SimpleUploadedFile("r.csv", roster)}, follow=True)
    record = RosterImport.objects.get(filename="r.csv")
    assert record.state == RosterImport.State.REVIEW
    html = client.get(page.redirect_chain[-1][0]).content.decode()
    assert "changes the verdict of 1 claim" in html and "Letter of team alpha" in html and "I understand" in html
    # The dry run wrote nothing, and told no one.
    assert not RosterEntry.objects.filter(full_name="Ann Alpha").exists()
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED
    assert not AffiliationChange.objects.exists() and notices(mailoutbox) == []

    review = f"/admin/verification/affiliation/{b.affiliation.pk}/roster/{record.pk}/"
    with settled():
        refused = client.post(review, {"confirm": "Import it"})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    record.refresh_from_db()
    assert record.state == RosterImport.State.REVIEW

    with settled():
        client.post(review, {"confirm": "Import it", "understood": "on"})
    record.refresh_from_db()
    assert (record.state, record.confirmed_by) == (RosterImport.State.DONE, b.organiser)
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.VERIFIED
    change = AffiliationChange.objects.get()
    assert (change.kind, change.reach) == ("roster", {str(a.letter.pk): 1})
    assert {address for message in notices(mailoutbox) for address in message.to} == {
        a.organiser.email,
        a.moderator.email,
    }


def test_a_roster_upload_cancelled_after_its_dry_run_writes_nothing_and_tells_no_one(
    client, shared, settled, mailoutbox, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    a, b, claim = shared
    client.force_login(b.organiser)
    roster = b"full_name,email\nAnn Alpha,ann@beta.example.org\n"
    with settled():
        client.post(
            f"/admin/verification/affiliation/{b.affiliation.pk}/roster/", {"file": SimpleUploadedFile("r.csv", roster)}
        )
    record = RosterImport.objects.get(filename="r.csv")
    stored = record.upload.name
    assert record.state == RosterImport.State.REVIEW and (tmp_path / stored).exists()
    with settled():
        client.post(f"/admin/verification/affiliation/{b.affiliation.pk}/roster/{record.pk}/", {"cancel": "Cancel"})
    record.refresh_from_db()
    assert record.state == RosterImport.State.CANCELLED and not (tmp_path / stored).exists()
    assert "cancelled by organiser@beta.example" in record.problems[0]
    assert not RosterEntry.objects.filter(full_name="Ann Alpha").exists()
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED
    assert not AffiliationChange.objects.exists() and notices(mailoutbox) == []
    # A confirmation arriving after the cancel (a second tab) changes nothing.
    with settled():
        client.post(
            f"/admin/verification/affiliation/{b.affiliation.pk}/roster/{record.pk}/",
            {"confirm": "Import it", "understood": "on"},
        )
    record.refresh_from_db()
    assert (
        record.state == RosterImport.State.CANCELLED and not RosterEntry.objects.filter(full_name="Ann Alpha").exists()
    )


def test_a_keepers_change_reaching_only_their_own_letters_tells_no_one(client, teams, settled, mailoutbox):
    a, _ = teams
    client.force_login(a.organiser)
    with settled():
        client.post(
            f"/admin/verification/affiliation/{a.affiliation.pk}/domains/",
            {"email_domains": "alpha-mail.example.org", "domain_policy": "on", "confirm": "yes"},
        )
    a.signature.refresh_from_db()
    assert a.signature.verification == Signature.Verification.VERIFIED
    change = AffiliationChange.objects.get()
    assert change.reach == {} and change.notified_at is None
    assert notices(mailoutbox) == []


def test_the_notice_is_sent_once_even_if_the_task_runs_again(client, shared, settled, mailoutbox):
    from teams.tasks import notify_affiliation_change

    _, b, _ = shared
    client.force_login(b.organiser)
    with settled():
        client.post(
            f"/admin/verification/affiliation/{b.affiliation.pk}/domains/",
            {"email_domains": "beta.example.org", "domain_policy": "on", "confirm": "yes"},
        )
    sent = len(notices(mailoutbox))
    notify_affiliation_change(AffiliationChange.objects.get().pk)
    assert len(notices(mailoutbox)) == sent == 2


def test_another_teams_draft_is_not_named_in_the_keepers_dry_run(client, teams, settled):
    from tests.support.factories import make_petition

    a, b = teams
    make_petition(title="Secret draft of alpha", status="draft", affiliations=[b.affiliation])
    client.force_login(b.organiser)
    page = client.get(f"/admin/verification/affiliation/{b.affiliation.pk}/roster/").content.decode()
    assert "Secret draft of alpha" not in page
    assert "a draft letter of another team" in page


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_the_view_on_site_shortcut_never_leads_to_the_other_teams_draft(client, teams, role):
    from django.contrib.contenttypes.models import ContentType

    from petitions.models import Petition
    from tests.support.factories import make_petition

    a, b = teams
    draft = make_petition(title="Beta's plan", slug="beta-secret-plan", status="draft")
    draft.moderators.add(b.moderator)
    petition_type = ContentType.objects.get_for_model(Petition).pk
    client.force_login(getattr(a, role))
    for target in (draft, b.letter):
        response = client.get(f"/admin/r/{petition_type}/{target.pk}/")
        assert response.status_code == 404
        assert target.slug not in response.get("Location", "") + response.content.decode()
    own = client.get(f"/admin/r/{petition_type}/{a.letter.pk}/")
    assert own.status_code == 302 and own["Location"].endswith(f"/petitions/{a.letter.slug}/")


def test_a_roster_entry_edit_that_changes_other_teams_verdicts_names_them_before_it_is_saved(
    client, shared, settled, mailoutbox
):
    a, b, claim = shared
    client.force_login(b.organiser)
    url = f"/admin/verification/rosterentry/{b.entry.pk}/change/"
    edit = {"full_name": "Ann Alpha", "email": "ann@beta.example.org", "handles": "", "external_id": "beta-1"}
    with settled():
        refused = client.post(url, edit)
    assert refused.status_code == 200  # the form again, with the dry run's counts
    html = refused.content.decode()
    assert "alters verdicts on other teams" in html and "Letter of team alpha" in html
    assert "1 claim(s), 1 become verified, 0 stop being verified" in html
    b.entry.refresh_from_db()
    claim.refresh_from_db()
    assert b.entry.full_name == "Member of beta" and claim.verification == Signature.Verification.UNVERIFIED
    assert not AffiliationChange.objects.exists() and notices(mailoutbox) == []

    with settled():
        saved = client.post(url, {**edit, "understood": "on"})
    assert saved.status_code == 302
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.VERIFIED
    change = AffiliationChange.objects.get()
    assert (change.kind, change.reach) == ("roster", {str(a.letter.pk): 1})
    assert {address for message in notices(mailoutbox) for address in message.to} == {
        a.organiser.email,
        a.moderator.email,
    }


def test_a_roster_entry_edit_reaching_only_the_keepers_own_letters_needs_no_acknowledgement(client, teams, settled):
    a, _ = teams
    client.force_login(a.organiser)
    with settled():
        saved = client.post(
            f"/admin/verification/rosterentry/{a.entry.pk}/change/",
            {"full_name": "Member of alpha", "email": "m1@alpha.example.org", "handles": "", "external_id": "alpha-1"},
        )
    assert saved.status_code == 302
    a.entry.refresh_from_db()
    assert a.entry.email == "m1@alpha.example.org" and not AffiliationChange.objects.exists()


def test_deleting_a_roster_entry_shows_the_verdicts_it_changes_before_the_keeper_confirms(
    client, shared, settled, mailoutbox
):
    from verification.rosters import save_entry

    a, b, claim = shared
    with settled():
        save_entry(RosterEntry(affiliation=b.affiliation, full_name="Ann Alpha", email="ann@beta.example.org"))
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.VERIFIED
    entry = RosterEntry.objects.get(full_name="Ann Alpha")
    client.force_login(b.organiser)
    url = f"/admin/verification/rosterentry/{entry.pk}/delete/"
    page = client.get(url).content.decode()
    assert "Verdicts this changes on letters offering Beta members" in page
    assert "Letter of team alpha" in page and "1 claim(s), 0 become verified, 1 stop being verified" in page
    assert RosterEntry.objects.filter(pk=entry.pk).exists()  # the dry run deleted nothing
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.VERIFIED

    with settled():
        client.post(url, {"post": "yes"})
    claim.refresh_from_db()
    assert not RosterEntry.objects.filter(pk=entry.pk).exists()
    assert claim.verification == Signature.Verification.UNVERIFIED
    assert AffiliationChange.objects.get().reach == {str(a.letter.pk): 1}
    assert len(notices(mailoutbox)) == 2
