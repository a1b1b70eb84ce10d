"""Issue 10's flood, bounded and on loopback only: 20 source addresses inside 127.0.0.0/8, 30 signatures each at
one catch-all domain, all claiming `sora-alpha-artist`, every emailed confirmation link clicked by a script.

The bot is the strong kind: it asks for the proof-of-work challenge and solves it whenever the site wants one
(at a lower difficulty than production's, to keep the test short). It reports how many fake signatures reach the
public count and how many moderators see flagged, without the defences (limits opened wide, no challenge, no
trending run: what main does) and with them (the defaults).
"""

from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.test import override_settings

from abuse import invalidation, trending
from abuse.models import Flag, Parked
from petitions.models import Petition
from signatures.models import Signature
from tests.support.bots import sign_from
from tests.support.factories import make_user
from tests.support.signer import LINK

SOURCES, PER_SOURCE, DOMAIN = 20, 30, "catchall.example"
WIDE_OPEN = {
    "SIGN_RATE_PER_EMAIL": "1000/h",
    "SIGN_RATE_PER_ADDRESS": "1000/h",
    "SIGN_RATE_PER_DOMAIN": "100000/h",
    "SIGN_RATE_PER_RANGE": "100000/h",
    "SIGN_RATE_PER_PETITION": "100000/m",
    "SIGN_CHALLENGE_THRESHOLD": "100000/h",
}


def run_flood(client, capture, petition, domain_per_source: bool = False) -> dict:
    """Sign from every source, then click every confirmation link that arrived; what the public and moderators see."""
    answers = {}
    for source in range(SOURCES):
        ip = f"127.{source + 10}.{source}.{source + 1}"  # a different /24 each
        for n in range(PER_SOURCE):
            response = sign_from(
                client,
                capture,
                petition,
                ip,
                email=f"fan{source}-{n}@" + (f"s{source}.{DOMAIN}.test" if domain_per_source else DOMAIN),
                full_name=f"Sora Fan {source}-{n}",
                affiliation="sora-alpha-artist",
            )
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
    clicks = 0
    for message in mail.outbox:
        for path, purpose in LINK.findall(message.body):
            if purpose == "confirm":
                with capture(execute=True):
                    client.post(path, REMOTE_ADDR="127.0.0.1")
                clicks += 1
    return {
        "answers": answers,
        "emails": len(mail.outbox),
        "clicks": clicks,
        "public_count": Petition.objects.get(pk=petition.pk).signature_count,
        "parked": Parked.objects.filter(petition=petition).count(),
    }


def flagged(petition) -> dict:
    flags = trending.flag_trending()
    mine = [flag for flag in flags if flag.petition_id == petition.pk]
    domain_flag = next((f for f in mine if f.kind == Flag.Kind.DOMAIN and f.key == DOMAIN), None)
    return {
        "flags": sorted(f"{flag.kind}:{flag.key[:12]}" for flag in mine),
        # every fake submission carries the flagged domain: all of them are in front of the moderators
        "fakes_flagged": (domain_flag.signatures + domain_flag.parked) if domain_flag else 0,
    }


def report(label: str, figures: dict) -> None:
    print(f"\nFLOOD {label}: {SOURCES}x{PER_SOURCE} attempts -> {figures}")


def test_without_the_defences_the_whole_flood_reaches_the_public_count(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    with override_settings(**WIDE_OPEN):
        figures = run_flood(client, django_capture_on_commit_callbacks, letter)
    figures["moderators_see_flagged"] = 0  # main has no flags; the defences' trending task is not run here
    report("before (defences opened wide)", figures)
    assert figures["public_count"] == SOURCES * PER_SOURCE
    assert figures["parked"] == 0


@override_settings(SIGN_CHALLENGE_DIFFICULTY=10)
def test_with_the_defences_the_flood_stops_at_the_domain_limit_and_is_flagged(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    figures = run_flood(client, django_capture_on_commit_callbacks, letter)
    seen = flagged(letter)
    figures |= seen
    report("after (default settings)", figures)
    assert figures["answers"] == {200: SOURCES * PER_SOURCE}  # every attempt saw "check your email"
    assert figures["public_count"] == 30  # SIGN_RATE_PER_DOMAIN: 30 an hour per petition, then parked
    assert figures["parked"] == SOURCES * PER_SOURCE - 30
    assert figures["emails"] == 30  # parked submissions are never emailed
    assert "domain:catchall.exa" in seen["flags"] and "affiliation:sora-alpha-a" in seen["flags"]
    assert seen["fakes_flagged"] == SOURCES * PER_SOURCE
    assert Signature.objects.filter(petition=letter).count() == 30


@override_settings(SIGN_CHALLENGE_DIFFICULTY=10)
def test_a_flood_spread_over_one_domain_per_source_is_not_stopped_but_every_fake_is_flagged(
    client, letter, artists, mailoutbox, django_capture_on_commit_callbacks
):
    """The limit the defences do not reach: 20 catch-all domains on 20 ranges stay under every per-key limit, so
    only the trending flags (affiliation and ranges) and a bulk invalidation catch them."""
    figures = run_flood(client, django_capture_on_commit_callbacks, letter, domain_per_source=True)
    flags = trending.flag_trending()
    claim = next(f for f in flags if f.kind == Flag.Kind.AFFILIATION and f.petition_id == letter.pk)
    figures |= {"flags": len(flags), "fakes_flagged_by_claim": claim.signatures + claim.parked}
    assert figures["fakes_flagged_by_claim"] == SOURCES * PER_SOURCE
    assert sum(f.signatures for f in flags if f.kind == Flag.Kind.RANGE) == figures["public_count"]
    # The moderator follows the claim's flag: one invalidation of that claim since the burst began.
    since = claim.first_seen - timedelta(seconds=settings.ABUSE_TRENDING_WINDOW)
    request = invalidation.request(letter, make_user("mod@example.org"), "flood", affiliation=artists, since=since)
    invalidation.run(request.pk)
    figures["public_count_after_one_invalidation"] = Petition.objects.get(pk=letter.pk).signature_count
    report("after, one domain per source", figures)
    assert figures["public_count_after_one_invalidation"] == 0
