"""The public surfaces read their signers through the list's own index at any size (issue 9): the petition
page's recent signers, the public list's keyset pages (plain, by affiliation, by verification) and the API's
list, at 0, 100,000 and 1,000,000 of the letter's signatures after ANALYZE, with another petition holding
100,000 newer rows (the case where a backward walk of the primary key, or another index and a sort, looks
cheap to the planner and reads every newer row).

The plans are those of the queries the views really run: each one that orders signers by confirmation is
EXPLAINed as it is sent (same SQL, parameters, transaction and settings), then run. Statements a connection runs
often are prepared (settings: DATABASE_PREPARED_STATEMENTS), and PostgreSQL may then run one on its generic plan,
made without the values, when its estimated cost is no higher than the plans made with them. Each is also
EXPLAINed on that plan (PREPARE, then EXECUTE under `plan_cache_mode = force_generic_plan`): it must read the
same index, or cost so much more that PostgreSQL never picks it. (The lists' indexes are partial, and a plan
made without the values cannot know they match the index's condition; with sorting off in their transaction,
`ordered_by_index`, the generic plan's sort makes it cost ten orders of magnitude more, so these queries keep
being planned with their values.) The 1M case takes about
half a minute (one INSERT … SELECT generate_series, rolled back): it is marked `slow`, so `-m "not slow"`
leaves it out; `make test` runs it.
"""

import json
from contextlib import contextmanager

import pytest
from django.db import connection
from psycopg import sql as psycopg_sql

from signatures.models import Signature
from tests.support.bulk import foreign_keys_unchecked, hours_ago, insert_signatures
from tests.support.factories import make_affiliation, make_petition

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="plans are PostgreSQL's"),
]
TABLE = Signature._meta.db_table
LIST_ORDER = f'ORDER BY "{TABLE}"."confirmed_at" DESC'
BY_CONFIRMATION = "signature_public_order"
BY_CLAIM = "signature_public_by_claim"


@pytest.fixture(
    params=[0, 100_000, pytest.param(1_000_000, marks=pytest.mark.slow)],
    ids=["0 signatures", "100k signatures", "1M signatures"],
)
def letter(request):
    """A letter of the given size (half claimed, the newer half), another with 100,000 newer rows, ANALYZE."""
    size = request.param
    artists = make_affiliation("artists")
    letter = make_petition(slug="scaled-letter", affiliations=[artists])
    other = make_petition(slug="newer-news")
    with foreign_keys_unchecked():
        insert_signatures(letter, size // 2, newest=hours_ago(48), tag="old")
        insert_signatures(letter, size - size // 2, newest=hours_ago(24), affiliation_id=artists.pk, tag="claim")
        insert_signatures(other, 100_000, newest=hours_ago(1), tag="newer")  # newer rows, higher ids
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{TABLE}"')
    return letter


@contextmanager
def explained():
    """The plan of every query run inside that orders signers as the public list does, as it was run."""
    plans: list[dict] = []

    def explain(execute, sql, params, many, context):
        if LIST_ORDER in sql:
            raw = context["cursor"].cursor  # psycopg's own cursor: no wrapper runs twice
            raw.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plans.append(first_plan(raw.fetchone()[0]))
            plans.append(generic_plan(raw, sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        yield plans


def first_plan(explained) -> dict:
    return (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]


def sql_type(value) -> str:
    """The type psycopg sends a value of as a parameter (what PREPARE must be told)."""
    from datetime import datetime

    for python, sql in ((bool, "boolean"), (int, "bigint"), (str, "text"), (datetime, "timestamptz")):
        if isinstance(value, python):
            return sql
    raise AssertionError(f"no SQL type for {value!r}")


def generic_plan(raw, sql: str, params) -> dict:
    """The plan PostgreSQL would reuse for this statement once prepared: made without its values."""
    numbered, count = sql, 0
    while "%s" in numbered:
        count += 1
        numbered = numbered.replace("%s", f"${count}", 1)
    assert count == len(params) and "%%" not in sql, sql
    raw.execute("SELECT current_setting('plan_cache_mode')")
    mode = raw.fetchone()[0]
    raw.execute(f"PREPARE listed ({', '.join(sql_type(value) for value in params)}) AS {numbered}")
    try:
        raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        values = psycopg_sql.SQL(", ").join(psycopg_sql.Literal(value) for value in params)
        raw.execute(psycopg_sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE listed ({})").format(values))
        return first_plan(raw.fetchone()[0])
    finally:
        raw.execute("DEALLOCATE listed")
        raw.execute("SELECT set_config('plan_cache_mode', %s, true)", [mode])


def reads_signatures_by(plan: dict) -> set[str]:
    """How a plan reads the signatures table: the indexes it scans (or "Seq Scan"), and "Sort" if it sorts.
    The cursor's own row (alias `seen`, read by its primary key) is left out."""
    found, todo = set(), [plan]
    while todo:
        node = todo.pop()
        todo += node.get("Plans", [])
        if node["Node Type"] in ("Sort", "Incremental Sort"):
            found.add("Sort")
        if node.get("Relation Name") == TABLE and node.get("Alias") != "seen":
            found.add(node.get("Index Name") or node["Node Type"])
    return found


def plan_of(client, url: str) -> set[str]:
    with explained() as plans:
        response = client.get(url)
    assert response.status_code == 200, url
    assert len(plans) == 2, f"{url} ran {len(plans) // 2} list queries"
    custom, generic = plans
    if reads_signatures_by(generic) != reads_signatures_by(custom):  # then PostgreSQL must never pick it
        assert generic["Total Cost"] > 1000 * custom["Total Cost"], f"{url}: a prepared run may read {generic}"
    return reads_signatures_by(custom)


def a_cursor_deep_in(letter) -> str:
    """The id of a signer half-way down the list (any signature's id when the letter has none)."""
    signers = Signature.objects.filter(petition=letter).order_by("confirmed_at", "id")
    middle = signers.count() // 2
    return str(signers.values_list("pk", flat=True)[middle] if middle else Signature.objects.values("pk")[0]["pk"])


def test_every_public_list_reads_its_own_index_at_any_size(client, letter):
    deep = a_cursor_deep_in(letter)
    page = f"/petitions/{letter.slug}/signatures/"
    api = f"/api/petitions/{letter.slug}/signatures/"
    expected = {
        f"/petitions/{letter.slug}/": BY_CONFIRMATION,  # the recent signers
        page: BY_CONFIRMATION,
        f"{page}?cursor={deep}": BY_CONFIRMATION,
        f"{page}?verification=unverified": BY_CONFIRMATION,
        f"{page}?verification=unverified&cursor={deep}": BY_CONFIRMATION,
        f"{page}?affiliation=artists": BY_CLAIM,
        f"{page}?affiliation=artists&cursor={deep}": BY_CLAIM,
        api: BY_CONFIRMATION,
        f"{api}?cursor={deep}": BY_CONFIRMATION,
        f"{api}?affiliation=artists&cursor={deep}": BY_CLAIM,
    }
    found = {url: plan_of(client, url) for url in expected}
    assert found == {url: {index} for url, index in expected.items()}

    # Page after page through the API's own `next` links (one test per size: the 1M rows are made once).
    url, pages = api, 0
    while url and pages < 3:
        assert plan_of(client, url) == {BY_CONFIRMATION}
        url, pages = client.get(url).json()["next"], pages + 1
    assert pages == (3 if Signature.objects.filter(petition=letter).exists() else 1)
