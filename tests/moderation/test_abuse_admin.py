"""Moderators see trending flags and parked submissions beside their petitions' counts and invalidate bursts in
bulk (dry run, confirm, progress, undo); operators keep the domain rules. All scoped; every change is a POST."""

import re

import pytest

from abuse.models import Domain, Flag, Invalidation, Parked
from petitions.models import Petition
from signatures.models import Signature
from tests.support.factories import make_signature

pytestmark = pytest.mark.django_db

ADD = "/admin/abuse/invalidation/add/"


@pytest.fixture
def flood(letter_a, letter_b):
    """Four signatures from a catch-all domain and one real one on letter A; one catch-all signature on B."""
    bots = [make_signature(letter_a, email=f"bot{n}@catchall.example") for n in range(4)]
    make_signature(letter_a, email="ada@example.org")
    make_signature(letter_b, email="bot@catchall.example")
    Flag.objects.create(petition=letter_a, kind=Flag.Kind.DOMAIN, key="catchall.example", signatures=4)
    Flag.objects.create(petition=letter_b, kind=Flag.Kind.DOMAIN, key="catchall.example", signatures=1)
    Parked.objects.create(
        petition=letter_a,
        reason=Parked.Reason.RATE_DOMAIN,
        full_name="Parked A",
        email="p@catchall.example",
        domain="catchall.example",
    )
    Parked.objects.create(
        petition=letter_b,
        reason=Parked.Reason.RATE_DOMAIN,
        full_name="Parked B",
        email="q@catchall.example",
        domain="catchall.example",
    )
    return bots


def count(petition) -> int:
    return Petition.objects.get(pk=petition.pk).signature_count


def criteria(petition, **fields) -> dict:
    return {"petition": petition.pk, "domain": "", "network": "", "since": "", "until": "", "reason": "flood"} | fields


def test_moderator_sees_the_flags_beside_the_petitions_count(client, moderator, letter_a, flood):
    client.force_login(moderator)
    page = re.sub(r"<[^>]+>", "", client.get(f"/admin/petitions/petition/{letter_a.pk}/change/").content.decode())
    assert "1 trending flag(s) (largest burst: 4 signed, 0 parked)" in page
    assert "1 parked submission(s)" in page


def test_moderator_sees_only_their_petitions_flags_and_parked_submissions(client, moderator, letter_a, letter_b, flood):
    client.force_login(moderator)
    flags = client.get("/admin/abuse/flag/").content.decode()
    assert letter_a.title in flags and letter_b.title not in flags
    parked = client.get("/admin/abuse/parked/").content.decode()
    assert "Parked A" in parked and "Parked B" not in parked
    other = Flag.objects.get(petition=letter_b)
    assert client.get(f"/admin/abuse/flag/{other.pk}/change/").status_code == 404


def test_a_flag_links_to_an_invalidation_prefilled_with_what_it_points_at(client, moderator, letter_a, flood):
    client.force_login(moderator)
    flags = client.get("/admin/abuse/flag/").content.decode()
    assert f"{ADD}?petition={letter_a.pk}&amp;domain=catchall.example" in flags
    assert "4 signed, 0 parked" in flags
    form = client.get(f"{ADD}?petition={letter_a.pk}&domain=catchall.example").content.decode()
    assert 'value="catchall.example"' in form


def test_invalidation_shows_a_dry_run_count_then_invalidates_and_can_be_undone(
    client, moderator, letter_a, flood, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    dry = client.post(ADD, criteria(letter_a, domain="catchall.example"))
    assert dry.status_code == 200
    assert "<strong>4</strong> signatures" in dry.content.decode()
    assert count(letter_a) == 5 and not Invalidation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(ADD, criteria(letter_a, domain="catchall.example", confirm="4"))
    done = client.get(f"/admin/abuse/invalidation/{Invalidation.objects.get().pk}/change/")
    invalidation = Invalidation.objects.get()
    assert (invalidation.requested_by, invalidation.state, invalidation.invalidated) == (moderator, "done", 4)
    assert "4 of 4 checked" in done.content.decode()
    assert count(letter_a) == 1

    undo_url = f"/admin/abuse/invalidation/{invalidation.pk}/undo/"
    page = client.get(undo_url)
    assert "reinstates the <strong>4</strong> signatures" in page.content.decode()
    assert count(letter_a) == 1  # showing the page changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(undo_url)
    invalidation.refresh_from_db()
    assert (invalidation.state, invalidation.reinstated, invalidation.undone_by) == ("undone", 4, moderator)
    assert count(letter_a) == 5


BAD = [
    ({}, "at least one criterion"),
    ({"domain": "x" * 300}, "at most 253"),
    ({"domain": "not a domain"}, "domain"),
    ({"domain": "exa\u00admple.org"}, "SOFT HYPHEN"),
    ({"network": "300.1.2.3"}, "Enter an IP address"),
    ({"network": "<script>"}, "Enter an IP address"),
    ({"since": "yesterday"}, "Enter a valid date/time"),
    ({"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"}, "start before it ends"),
    ({"domain": "catchall.example", "reason": ""}, "This field is required"),
]


@pytest.mark.parametrize(("fields", "error"), BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_invalidation_criteria_are_refused_with_the_reason(client, moderator, letter_a, flood, fields, error):
    client.force_login(moderator)
    response = client.post(ADD, criteria(letter_a, **fields))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Invalidation.objects.exists()


def test_a_moderator_cannot_invalidate_another_teams_petition(client, moderator, letter_b, flood):
    client.force_login(moderator)
    response = client.post(ADD, criteria(letter_b, domain="catchall.example", confirm="1"))
    assert response.status_code == 400
    assert not Invalidation.objects.exists()
    assert count(letter_b) == 1


def test_a_moderator_cannot_see_or_undo_another_teams_invalidation(
    client, moderator, superuser, letter_b, flood, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ADD, criteria(letter_b, domain="catchall.example", confirm="1"))
    invalidation = Invalidation.objects.get()
    client.force_login(moderator)
    assert client.get(f"/admin/abuse/invalidation/{invalidation.pk}/change/").status_code == 404
    assert client.post(f"/admin/abuse/invalidation/{invalidation.pk}/undo/").status_code == 404
    assert client.get(f"/admin/abuse/invalidation/{invalidation.pk}x/undo/").status_code == 404
    invalidation.refresh_from_db()
    assert invalidation.state == "done"


def test_domain_rules_are_for_operators_only(client, moderator, superuser):
    client.force_login(moderator)
    assert client.get("/admin/abuse/domain/").status_code == 403
    assert client.post("/admin/abuse/domain/add/", {"name": "catchall.example", "state": "blocked"}).status_code == 403
    client.force_login(superuser)
    response = client.post("/admin/abuse/domain/add/", {"name": "@CatchAll.Example.", "state": "blocked", "note": ""})
    assert response.status_code == 302
    assert Domain.objects.get().name == "catchall.example"


def test_an_operator_cannot_save_a_malformed_domain_rule(client, superuser):
    client.force_login(superuser)
    for name in ("", "x" * 300, "nodot", "bad\u200bdomain.example"):
        response = client.post("/admin/abuse/domain/add/", {"name": name, "state": "blocked", "note": ""})
        assert response.status_code == 200  # the form again, with its error
    assert not Domain.objects.exists()


def test_signatures_parked_never_reach_the_signature_list(client, moderator, flood):
    client.force_login(moderator)
    assert not Signature.objects.filter(full_name="Parked A").exists()


def test_nothing_to_invalidate_offers_no_button_and_records_nothing(client, moderator, letter_a, flood):
    client.force_login(moderator)
    page = client.post(ADD, criteria(letter_a, domain="nobody.example"))
    assert "<strong>0</strong> signatures" in page.content.decode()
    assert "Invalidate 0" not in page.content.decode()
    client.post(ADD, criteria(letter_a, domain="nobody.example", confirm="0"))
    assert not Invalidation.objects.exists()


def test_a_running_invalidations_page_reloads_itself_until_it_is_done(client, moderator, letter_a, flood):
    from abuse import invalidation as invalidations

    running = invalidations.request(letter_a, moderator, "flood", domain="catchall.example")
    client.force_login(moderator)
    page = client.get(f"/admin/abuse/invalidation/{running.pk}/change/").content.decode()
    assert 'http-equiv="refresh"' in page and "0 of 4 checked" in page
    invalidations.run(running.pk)
    page = client.get(f"/admin/abuse/invalidation/{running.pk}/change/").content.decode()
    assert 'http-equiv="refresh"' not in page and "4 of 4 checked" in page
