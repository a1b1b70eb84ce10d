"""The review queue: confirmed claims only a similar name supports, with the roster candidates beside each."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatures.models import Signature
from tests.support.factories import make_moderator, make_roster_entry, make_signature
from verification.models import RosterEntry

pytestmark = pytest.mark.django_db

V = Signature.Verification
QUEUE = "/admin/signatures/claimreview/"


def test_queue_lists_only_claims_needing_review_with_their_candidates(
    client, moderator, review_claim, artists, settled
):
    make_roster_entry(artists, "Vera Verified", "vera@studio.example")
    with settled():
        make_signature(
            review_claim.petition, full_name="Vera Verified", email="vera@studio.example", affiliation=artists
        )
        make_signature(review_claim.petition, full_name="Nobody Known", email="nobody@x.example", affiliation=artists)
        make_signature(review_claim.petition, full_name="Ana Nunez", email="ana2@x.example", affiliation=artists,
                       confirmed=False)  # fmt: skip
    client.force_login(moderator)
    page = client.get(QUEUE)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Vera Verified" not in html
    assert "Nobody Known" not in html
    assert "ana2@x.example" not in html
    # The signer as they signed, and the candidates the roster offers, with scores.
    for shown in ("Ana Nunez", "ana.nunez@mail.example", "Concept artist at Studio Kite", "Letter A about artists"):
        assert shown in html
    assert re.search(r"<strong>Ana Núñez</strong>\s*<span class=\"score\">score 1.0</span>", html)
    assert re.search(r"<strong>Ana M. Nunez</strong>\s*<span class=\"score\">score 0.8</span>", html)
    assert "A-17 · @ana_nunez" in html


def test_queue_is_oldest_first(client, moderator, review_claim, artists, settled):
    with settled():
        make_signature(review_claim.petition, full_name="Ana M Nunez", email="later@x.example", affiliation=artists)
    client.force_login(moderator)
    html = client.get(QUEUE).content.decode()
    assert html.index("ana.nunez@mail.example") < html.index("later@x.example")


def test_moderator_approves_a_claim_as_a_chosen_candidate_from_its_row(client, moderator, review_claim):
    second = RosterEntry.objects.get(full_name="Ana M. Nunez")
    client.force_login(moderator)
    queue = client.get(QUEUE).content.decode()
    decide_url = f"{QUEUE}{review_claim.pk}/decide/"
    assert f'value="approve:{second.pk}" formaction="{decide_url}"' in queue

    response = client.post(
        decide_url,
        {"decision": f"approve:{second.pk}", f"note-{review_claim.pk}": "the coordinator knows her"},
        HTTP_REFERER=f"http://testserver{QUEUE}",
    )
    assert response["Location"] == f"http://testserver{QUEUE}"
    review_claim.refresh_from_db()
    assert review_claim.verification == V.VERIFIED
    assert review_claim.evidence.roster_entry == second
    assert review_claim.evidence.decided_by == moderator
    after = client.get(QUEUE).content.decode()
    assert "ana.nunez@mail.example" not in after
    assert "Approved 1 claim." in after


def test_approving_as_an_entry_of_another_roster_is_refused(client, moderator, review_claim, letter_b):
    stranger = make_roster_entry(letter_b.affiliations.get(), "Ana Nunez")
    client.force_login(moderator)
    response = client.post(f"{QUEUE}{review_claim.pk}/decide/", {"decision": f"approve:{stranger.pk}"}, follow=True)
    assert "not on this affiliation&#x27;s roster" in response.content.decode()
    review_claim.refresh_from_db()
    assert review_claim.verification == V.NEEDS_REVIEW


def test_bulk_reject_from_the_queue_is_in_the_signatures_history(client, moderator, review_claim):
    client.force_login(moderator)
    response = client.post(
        QUEUE, {"action": "reject_claims", "confirmed": "yes", "_selected_action": [review_claim.pk]}, follow=True
    )
    assert "Rejected 1 claim." in response.content.decode()
    assert "ana.nunez@mail.example" not in response.content.decode()
    review_claim.refresh_from_db()
    assert review_claim.verification == V.REJECTED
    entry = LogEntry.objects.get(object_id=str(review_claim.pk))
    assert entry.content_type.model == "signature"
    history = client.get(f"/admin/signatures/signature/{review_claim.pk}/history/").content.decode()
    assert "Rejected the claim to Sora alpha artists." in history


def test_queue_entry_page_shows_candidates_and_decision_buttons(client, moderator, review_claim):
    client.force_login(moderator)
    page = client.get(f"{QUEUE}{review_claim.pk}/change/").content.decode()
    assert "Ana M. Nunez" in page
    assert 'value="reject"' in page and 'value="spam"' in page


def test_moderator_of_another_petition_has_an_empty_queue(client, review_claim, letter_b):
    other = make_moderator("mod-b@example.org", [letter_b])
    client.force_login(other)
    assert "Ana Nunez" not in client.get(QUEUE).content.decode()
    assert client.get(f"{QUEUE}{review_claim.pk}/change/").status_code == 404
    assert client.post(f"{QUEUE}{review_claim.pk}/decide/", {"decision": "approve"}).status_code == 404


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [QUEUE, "/admin/signatures/signature/", "/admin/verification/evidence/"])
def test_list_pages_cost_the_same_queries_however_many_rows_they_show(
    client, moderator, review_claim, artists, settled, url
):
    client.force_login(moderator)
    one = queries_for(client, url)
    with settled():
        for n in range(5):
            make_signature(review_claim.petition, full_name=f"Ana Nunez {n}", affiliation=artists)
    assert Signature.objects.filter(verification=V.NEEDS_REVIEW).count() == 6
    assert queries_for(client, url) == one
