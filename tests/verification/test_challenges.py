"""Roster challenges: proof by the address the group already knows, and the rules that make a false badge impossible.

Each story goes through the public site as people would: the signer signs and confirms from their email, the
worker's check runs (in-process here), and the roster member answers the email sent to their roster address.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from petitions.models import Petition
from signatures.models import AffiliationTally, Signature
from tests.support.factories import make_moderator, make_petition, make_roster_entry, make_signature
from verification import claims, rosters
from verification.models import RosterChallenge, RosterEntry

pytestmark = pytest.mark.django_db

V = Signature.Verification
CHALLENGE = re.compile(r"https?://[^/\s]+(/signatures/challenge/[^/\s]+/)")


def sign_and_confirm(signer, letter, affiliation, full_name: str, email: str, **fields) -> Signature:
    signer.sign(letter, full_name=full_name, email=email, affiliation=affiliation.slug, **fields)
    delivered_to = Signature.objects.latest("id").email  # the canonical address (a punycode domain)
    signer.post(signer.confirm_link(delivered_to))
    return Signature.objects.select_related("evidence").get(email=delivered_to)


def challenge_links(address: str) -> list[str]:
    return [path for message in mail.outbox if address in message.to for path in CHALLENGE.findall(message.body)]


def answer(signer, address: str, choice: str):
    [link] = challenge_links(address)
    return signer.post(link, {"answer": choice})


def tally(letter: Petition, affiliation) -> tuple[int, int, int]:
    row = AffiliationTally.objects.filter(petition=letter, affiliation=affiliation).first()
    return (row.claimed, row.verified, row.disputed) if row else (0, 0, 0)


def test_a_name_alone_sends_a_challenge_to_the_roster_address_never_to_the_typed_one(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signature = sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    assert signature.verification == V.PENDING
    assert len(challenge_links("ana@studio.example")) == 1
    assert challenge_links("impostor@mail.example") == []
    [message] = [m for m in mail.outbox if "ana@studio.example" in m.to]
    assert "as Ana Castillo" in message.body and artists.name in message.body


def test_the_member_confirms_at_the_roster_address_and_the_claim_is_verified(signer, client, letter, artists):
    entry = make_roster_entry(artists, "José Núñez-Ortega", "jose@studio.example")
    sign_and_confirm(signer, letter, artists, "jose nunez ortega", "jno@personal.example")
    response = answer(signer, "jose@studio.example", "yes")
    assert response.status_code == 200 and "membership is confirmed" in response.content.decode()
    signature = Signature.objects.select_related("evidence").get(email="jno@personal.example")
    assert signature.verification == V.VERIFIED and signature.verified_at is not None
    assert (signature.evidence.method, signature.evidence.roster_entry) == ("roster_challenge", entry)
    assert tally(letter, artists) == (1, 1, 0)
    page = client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    assert "jose nunez ortega" in page and "verified by roster address" in page


def test_the_member_says_it_wasnt_them_and_the_claim_is_disputed_never_badged(signer, client, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    response = answer(signer, "ana@studio.example", "no")
    assert "marked as disputed" in response.content.decode()
    signature = Signature.objects.select_related("evidence").get(email="impostor@mail.example")
    assert (signature.verification, signature.evidence.method) == (V.DISPUTED, "roster_challenge")
    assert "said it wasn't them" in signature.evidence.detail
    assert tally(letter, artists) == (1, 0, 1)
    api = client.get(f"/api/petitions/{letter.slug}/").json()
    assert api["counts"]["by_affiliation"]["sora-alpha-artist"] == {"claimed": 1, "verified": 0, "disputed": 1}
    page = client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    assert "claimed, disputed" in page and "✓ verified" not in page


def test_a_recheck_never_overrides_the_members_dispute(signer, letter, artists, settled):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    answer(signer, "ana@studio.example", "no")
    with settled():
        rosters.save_entry(RosterEntry(affiliation=artists, full_name="Somebody Else", email="else@studio.example"))
    assert Signature.objects.get(email="impostor@mail.example").verification == V.DISPUTED


@pytest.mark.parametrize("method", ["get", "head"])
def test_opening_the_challenge_link_as_a_mail_scanner_would_changes_nothing(signer, letter, artists, method):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    [link] = challenge_links("ana@studio.example")
    for headers in ({}, {"HTTP_PURPOSE": "prefetch"}, {"HTTP_SEC_PURPOSE": "prefetch"}):
        assert getattr(signer.client, method)(link, **headers).status_code == 200
    assert RosterChallenge.objects.get().state == "open"
    assert Signature.objects.get(email="impostor@mail.example").verification == V.PENDING


def test_the_challenge_page_asks_without_revealing_the_signers_address(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    page = signer.get(challenge_links("ana@studio.example")[0]).content.decode()
    assert "Yes, this was me" in page and "No, this wasn't me" in page
    assert "impostor@mail.example" not in page


def test_a_challenge_link_answers_once(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    assert answer(signer, "ana@studio.example", "no").status_code == 200
    assert answer(signer, "ana@studio.example", "yes").status_code == 400
    assert Signature.objects.get(email="impostor@mail.example").verification == V.DISPUTED


@pytest.mark.parametrize("posted", [{}, {"answer": ""}, {"answer": "maybe"}, {"answer": "yes" * 400}])
def test_an_answer_that_is_neither_yes_nor_no_changes_nothing(signer, letter, artists, posted):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    [link] = challenge_links("ana@studio.example")
    assert signer.post(link, posted).status_code == 400
    assert RosterChallenge.objects.get().state == "open"


@pytest.mark.parametrize(
    "link",
    [
        "/signatures/challenge/not-a-token/",
        "/signatures/challenge/" + "A" * 600 + "/",
        "/signatures/challenge/%E2%80%AE%00/",
    ],
)
def test_a_forged_or_malformed_challenge_link_is_a_clear_400(client, link):
    assert client.get(link).status_code == 400
    assert client.post(link, {"answer": "yes"}).status_code == 400


def test_a_confirm_link_cannot_stand_in_for_a_challenge_link(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    token = signer.confirm_link("impostor@mail.example").split("/")[-2]
    assert signer.post(f"/signatures/challenge/{token}/", {"answer": "yes"}).status_code == 400
    assert Signature.objects.get(email="impostor@mail.example").verification == V.PENDING


def test_unanswered_challenges_expire_and_the_claim_ends_unverified(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "impostor@mail.example")
    RosterChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert claims.expire_challenges() == 1
    signature = Signature.objects.select_related("evidence").get(email="impostor@mail.example")
    assert signature.verification == V.UNVERIFIED
    assert "expired unanswered" in signature.evidence.detail
    assert answer(signer, "ana@studio.example", "yes").status_code == 400


def test_an_expired_challenge_leaves_the_claim_to_a_moderator_when_a_candidate_without_address_remains(
    signer, letter, artists
):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    make_roster_entry(artists, "Ana Castillo", external_id="no-address")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "ana.c@mail.example")
    RosterChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    claims.expire_challenges()
    assert Signature.objects.get(email="ana.c@mail.example").verification == V.NEEDS_REVIEW


def test_one_open_challenge_per_member_and_letter_so_nobody_floods_a_mailbox(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo", "first@mail.example")
    second = sign_and_confirm(signer, letter, artists, "Ana Castillo", "second@mail.example")
    assert len(challenge_links("ana@studio.example")) == 1
    assert second.verification == V.NEEDS_REVIEW
    assert "no challenge could be sent" in second.evidence.detail


def test_a_member_gets_at_most_the_daily_cap_of_challenges_across_letters(signer, artists, settings):
    settings.CHALLENGE_DAILY_CAP_PER_ENTRY = 2
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    letters = [make_petition(affiliations=[artists]) for _ in range(3)]
    for n, letter in enumerate(letters):
        sign_and_confirm(signer, letter, artists, "Ana Castillo", f"impostor{n}@mail.example")
    assert len(challenge_links("ana@studio.example")) == 2
    assert Signature.objects.get(email="impostor2@mail.example").verification == V.NEEDS_REVIEW


def test_the_address_the_group_has_for_the_signer_gets_the_challenge_directly(signer, letter, artists):
    make_roster_entry(artists, "Kim Lee", "kim@studio.example")
    signature = sign_and_confirm(
        signer, letter, artists, "Kimberly L.", "kim.personal@mail.example", roster_email="KIM@studio.example"
    )
    assert signature.verification == V.PENDING
    assert len(challenge_links("kim@studio.example")) == 1
    answer(signer, "kim@studio.example", "yes")
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED


def test_the_signer_reads_the_same_words_whether_or_not_the_roster_knows_them(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    pages = []
    for name, email in (("Ana Castillo", "ana.c@mail.example"), ("Nobody Known", "nobody@mail.example")):
        signer.sign(letter, full_name=name, email=email, affiliation=artists.slug)
        page = signer.post(signer.confirm_link(email)).content.decode()
        main = re.split(r"<main[^>]*>", page.replace(name, "NAME"))[1].split("</main>")[0]
        pages.append(re.sub(r"/signatures/(withdraw|erase)/[^/]+/", r"/signatures/\1/TOKEN/", main))
    assert pages[0] == pages[1]
    assert "ana@studio.example" not in pages[0]


def test_a_roster_address_verifies_the_entry_not_whatever_name_is_typed(signer, client, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signature = sign_and_confirm(signer, letter, artists, "Isaque Farias", "ana@studio.example")
    assert signature.verification == V.VERIFIED
    assert (signature.evidence.roster_name, signature.evidence.shown_name) == ("Ana Castillo", "Ana Castillo")
    assert "Isaque Farias" in signature.evidence.detail and signature.full_name == "Isaque Farias"
    page = client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    assert "Ana Castillo" in page and "Isaque Farias" not in page
    api = client.get(f"/api/petitions/{letter.slug}/signatures/").json()
    assert [row["full_name"] for row in api["results"]] == ["Ana Castillo"]


def test_one_candidates_no_waits_for_the_others_and_the_real_member_still_verifies(signer, letter, artists):
    make_roster_entry(artists, "Li Ying", "li.ying@studio.example")
    make_roster_entry(artists, "Li Ying", "ying.li@other.example")
    signature = sign_and_confirm(signer, letter, artists, "Li Ying", "ly@mail.example")
    assert signature.challenges.count() == 2
    answer(signer, "ying.li@other.example", "no")  # the other Li Ying, truthfully
    signature.refresh_from_db()
    assert signature.verification == V.PENDING
    answer(signer, "li.ying@studio.example", "yes")
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED


def test_the_claim_is_disputed_once_every_candidate_asked_said_no(signer, letter, artists):
    make_roster_entry(artists, "Li Ying", "li.ying@studio.example")
    make_roster_entry(artists, "Li Ying", "ying.li@other.example")
    sign_and_confirm(signer, letter, artists, "Li Ying", "ly@mail.example")
    answer(signer, "ying.li@other.example", "no")
    answer(signer, "li.ying@studio.example", "no")
    assert Signature.objects.get(email="ly@mail.example").verification == V.DISPUTED


def test_a_compatible_typed_name_is_shown_as_typed_and_the_evidence_keeps_both(signer, client, letter, artists):
    make_roster_entry(artists, "William Smith", "will@studio.example")
    signature = sign_and_confirm(signer, letter, artists, "Bill Smith", "will@studio.example")
    assert (signature.verification, signature.evidence.roster_name) == (V.VERIFIED, "William Smith")
    assert signature.shown_name == "Bill Smith"


def test_a_moderator_approval_under_another_name_shows_the_rosters_name(client, letter, artists, settled):
    entry = make_roster_entry(artists, "Wanda Kraus")
    with settled():
        signature = make_signature(letter, full_name="W. K. from the studio", affiliation=artists)
    claims.approve_claim(signature, make_moderator("mod@example.org", [letter]), entry, note="known to the keeper")
    signature = Signature.objects.select_related("evidence").get(pk=signature.pk)
    assert signature.shown_name == "Wanda Kraus"
    api = client.get(f"/api/petitions/{letter.slug}/signatures/").json()
    assert [row["full_name"] for row in api["results"]] == ["Wanda Kraus"]


@pytest.mark.parametrize(
    "lookalike", ["jane@prоton.me", "jane@xn--prton-kye.me", "jane@studiо.example", "jane@xn--studi-rce.example"]
)
def test_a_lookalike_address_never_matches_and_is_flagged_with_its_punycode(signer, letter, artists, lookalike):
    make_roster_entry(artists, "Someone Else", lookalike.replace("о", "o").replace("xn--prton-kye", "proton")
                      .replace("xn--studi-rce", "studio"))  # fmt: skip
    signature = sign_and_confirm(signer, letter, artists, "Jane Doe", lookalike)
    assert signature.verification == V.UNVERIFIED
    assert any("xn--" in warning or "looks like" in warning for warning in signature.evidence.warnings)


def test_a_member_removed_from_the_roster_loses_the_badge_and_the_counts_follow(signer, letter, artists, settled):
    entry = make_roster_entry(artists, "José Núñez-Ortega", "jose@studio.example")
    sign_and_confirm(signer, letter, artists, "jose nunez ortega", "jno@personal.example")
    answer(signer, "jose@studio.example", "yes")
    assert tally(letter, artists) == (1, 1, 0)
    with settled():
        rosters.delete_entries(RosterEntry.objects.filter(pk=entry.pk))
    signature = Signature.objects.select_related("evidence").get(email="jno@personal.example")
    assert signature.verification == V.UNVERIFIED
    assert signature.evidence.detail.startswith("revoked")
    assert tally(letter, artists) == (1, 0, 0)


def test_a_moderator_sends_a_challenge_and_the_members_answer_settles_the_claim(signer, client, letter, artists):
    entry = make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    make_roster_entry(artists, "Ana Castillo", external_id="second")  # two equal candidates: a moderator's call
    RosterChallenge.objects.all().delete()
    moderator = make_moderator("mod@example.org", [letter])
    signature = sign_and_confirm(signer, letter, artists, "Ana Castillo", "ana.c@mail.example")
    RosterChallenge.objects.update(state="cancelled")
    Signature.objects.filter(pk=signature.pk).update(verification=V.NEEDS_REVIEW)
    mail.outbox.clear()
    client.force_login(moderator)
    with signer._capture(execute=True):
        client.post(
            f"/admin/signatures/claimreview/{signature.pk}/decide/", {"decision": f"challenge:{entry.pk}"}, follow=True
        )
    assert Signature.objects.get(pk=signature.pk).verification == V.PENDING
    answer(signer, "ana@studio.example", "yes")
    signature = Signature.objects.select_related("evidence").get(pk=signature.pk)
    assert (signature.verification, signature.evidence.method) == (V.VERIFIED, "roster_challenge")
    assert RosterChallenge.objects.get(state="confirmed").requested_by == moderator


def test_approving_a_member_without_a_roster_address_needs_a_reason_kept_as_evidence(letter, artists, settled):
    entry = make_roster_entry(artists, "Yuki Sato")
    moderator = make_moderator("mod@example.org", [letter])
    with settled():
        signature = make_signature(letter, full_name="Yuki Sato", affiliation=artists)
    signature.refresh_from_db()
    assert signature.verification == V.NEEDS_REVIEW
    with pytest.raises(Exception, match="Give a reason"):
        claims.approve_claim(signature, moderator, entry)
    evidence = claims.approve_claim(signature, moderator, entry, note="I know Yuki from the programme")
    assert (evidence.verdict, evidence.detail, evidence.decided_by) == (
        V.VERIFIED,
        "I know Yuki from the programme",
        moderator,
    )


IMPOSTORS = {
    "exact name, other address": ("Ana Castillo", "impostor@mail.example"),
    "one letter off, other address": ("Ana Castilla", "castilla@mail.example"),
    "lookalike of the member's address": ("Ana Castillo", "ana@studiо.example"),
    "subdomain of a policy domain": ("Kim Lee", "kim@alumni.studio.example"),
    "ex-member at a domain without policy": ("Old Member", "old@programme.example"),
}


@pytest.mark.parametrize("case", IMPOSTORS)
def test_no_impostor_is_ever_badged_whatever_they_type(signer, letter, artists, case):
    artists.email_domains, artists.domain_policy = "studio.example", True
    artists.save()
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    full_name, email = IMPOSTORS[case]
    signature = sign_and_confirm(signer, letter, artists, full_name, email)
    for link in challenge_links("ana@studio.example"):  # the real member did not sign
        signer.post(link, {"answer": "no"})
    RosterChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    claims.expire_challenges()
    assert Signature.objects.get(pk=signature.pk).verification != V.VERIFIED


def test_the_challenge_email_repeats_the_typed_name_only_defanged(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    make_roster_entry(artists, "Ana Castillo https://evil.example", "ana2@studio.example")
    sign_and_confirm(signer, letter, artists, "Ana Castillo https://evil.example", "mallory@mail.example")
    bodies = [m.body for m in mail.outbox if set(m.to) & {"ana@studio.example", "ana2@studio.example"}]
    assert bodies and all("https://evil.example" not in body for body in bodies)
    assert any("hxxps[:]//evil[.]example" in body for body in bodies)
