"""The recent-signers and public-list queries read the list's own index whatever the table holds: EXPLAIN after
ANALYZE at 0 and 100,000 of the petition's signatures, with another petition holding 100,000 newer rows (the
case where a backward walk of the primary key looks cheap to the planner and reads every newer row). The
same at 1,000,000 rows, through the pages and the API, is tests/front/test_list_plans.py (marked `slow`)."""

import json

import pytest
from django.db import connection

from signatures.listing import after, ordered_by_index, public_signers
from signatures.models import Signature
from tests.support.bulk import hours_ago, insert_signatures
from tests.support.factories import make_affiliation, make_petition

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="plans are PostgreSQL's"),
]
TABLE = Signature._meta.db_table


def listed_ids(signers, limit: int):
    """The query `first` runs to pick a page's ids."""
    return signers.order_by("-confirmed_at", "-id").values_list("pk", flat=True)[:limit]


def plan_nodes(queryset) -> list[dict]:
    """Every node of the query's plan as `first` runs it, flattened."""
    with ordered_by_index():
        plan = json.loads(queryset.explain(format="json"))[0]["Plan"]
    nodes, todo = [], [plan]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    return nodes


def reads_signatures_by(queryset) -> set[str]:
    """How the plan reads the signatures table: the indexes it scans (or "Seq Scan"), and "Sort" if it sorts.
    The cursor's own row, read by its primary key, is left out."""
    found = set()
    for node in plan_nodes(queryset):
        if node["Node Type"] in ("Sort", "Incremental Sort"):
            found.add("Sort")
        if node.get("Relation Name") == TABLE and node.get("Alias") != "seen":
            found.add(node.get("Index Name") or node["Node Type"])
    return found


@pytest.fixture(params=[0, 100_000], ids=["0 signatures", "100k signatures"])
def big_letter(request):
    artists = make_affiliation("artists")
    letter = make_petition(slug="big-letter", affiliations=[artists])
    other = make_petition(slug="newer-letter")
    insert_signatures(letter, request.param // 2, newest=hours_ago(48), tag="a")
    insert_signatures(letter, request.param - request.param // 2, newest=hours_ago(24), affiliation_id=artists.pk)
    insert_signatures(other, 100_000, newest=hours_ago(1))  # newer rows, higher ids, another petition
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{TABLE}"')
    return letter


def test_recent_signers_read_the_public_list_index_on_any_plan(big_letter):
    assert reads_signatures_by(listed_ids(public_signers(big_letter), 10)) == {"signature_public_order"}


def test_a_later_page_of_signers_reads_the_same_index(big_letter):
    last = Signature.objects.filter(petition=big_letter).order_by("confirmed_at").values_list("pk", flat=True).first()
    cursor = str(last or 1)
    assert reads_signatures_by(listed_ids(after(public_signers(big_letter), cursor), 51)) == {"signature_public_order"}


def test_signers_of_one_affiliation_read_the_claims_list_index(big_letter):
    listed = listed_ids(public_signers(big_letter, affiliation="artists"), 51)
    assert reads_signatures_by(listed) == {"signature_public_by_claim"}


def test_the_list_with_a_verification_filter_reads_the_public_list_index(big_letter):
    found = reads_signatures_by(listed_ids(public_signers(big_letter, verification="unverified"), 51))
    assert found == {"signature_public_order"}


def test_the_plan_holds_when_a_petition_grew_from_nothing_since_the_last_analyze():
    """The flip that matters: statistics taken when the letter had no signatures, then 100,000 arrive."""
    letter = make_petition(slug="went-viral")
    other = make_petition(slug="older-news")
    insert_signatures(other, 100_000, newest=hours_ago(1))
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{TABLE}"')
    insert_signatures(letter, 100_000, newest=hours_ago(0.5), tag="viral")
    assert reads_signatures_by(listed_ids(public_signers(letter), 10)) == {"signature_public_order"}
