"""Sharing a letter: link previews (Open Graph, Twitter card), share links, dates, the goal's progress, a favicon."""

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from petitions.models import Petition
from tests.support.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db


class Head(HTMLParser):
    """The page's <meta> properties and names, and its <link rel> targets."""

    def __init__(self):
        super().__init__()
        self.meta, self.links = {}, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.meta[attrs.get("property") or attrs.get("name")] = attrs.get("content")
        if tag == "link":
            self.links[attrs.get("rel")] = attrs.get("href")


def head_of(response) -> Head:
    head = Head()
    head.feed(response.content.decode())
    return head


def test_a_letter_page_carries_its_title_summary_and_counts_for_link_previews(client, settings):
    settings.SITE_URL = "https://letters.example"
    letter = make_petition(title="Fair terms for artists", summary="Artists ask for fair terms.", goal=10)
    make_signature(letter)
    make_signature(letter)
    head = head_of(client.get(letter.get_absolute_url()))
    assert head.meta["og:title"] == head.meta["twitter:title"] == "Fair terms for artists"
    description = "Artists ask for fair terms. — 2 confirmed signatures of a goal of 10."
    assert head.meta["og:description"] == head.meta["twitter:description"] == head.meta["description"] == description
    assert head.meta["og:url"] == head.links["canonical"] == f"https://letters.example/petitions/{letter.slug}/"
    assert head.meta["og:type"] == "article" and head.meta["twitter:card"] in ("summary", "summary_large_image")


def test_a_title_with_markup_and_quotes_stays_text_in_the_previews(client):
    letter = make_petition(title='"Quoted" <script>alert(1)</script> & co')
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    assert head_of(client.get(letter.get_absolute_url())).meta["og:title"] == letter.title


def test_share_links_carry_the_title_count_and_link(client, settings):
    settings.SITE_URL = "https://letters.example"
    letter = make_petition(title="Fair terms & more")
    make_signature(letter)
    page = client.get(letter.get_absolute_url())
    share = page.context["share"]
    url = f"https://letters.example/petitions/{letter.slug}/"
    mail = parse_qs(urlsplit(share["mail"]).query)
    assert share["mail"].startswith("mailto:?") and mail["subject"] == ["Fair terms & more"]
    assert mail["body"] == [f"Fair terms & more (1 signature)\n\n{url}"]
    bluesky = urlsplit(share["bluesky"])
    assert (bluesky.netloc, bluesky.path) == ("bsky.app", "/intent/compose")
    assert parse_qs(bluesky.query)["text"] == [f"Fair terms & more (1 signature) {url}"]
    html = page.content.decode()
    assert f'value="{url}" readonly' in html  # the link to copy, without JavaScript too
    assert f"/petitions/{letter.slug}/share/mastodon/" in html


@pytest.mark.parametrize(
    "typed", ["mastodon.social", " https://Mastodon.Social/ ", "@me@mastodon.social", "https://mastodon.social/@me"]
)
def test_mastodon_sends_the_reader_to_their_own_server_s_share_page(client, letter, typed):
    response = client.get(f"/petitions/{letter.slug}/share/mastodon/", {"server": typed})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "mastodon.social", "/share")
    assert parse_qs(target.query)["text"][0].endswith(f"/petitions/{letter.slug}/")


def test_an_internationalised_mastodon_server_is_sent_in_its_ascii_form(client, letter):
    response = client.get(f"/petitions/{letter.slug}/share/mastodon/", {"server": "bücher.example"})
    assert urlsplit(response["Location"]).netloc == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "evil.example\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
        "a" * 400 + ".example",
        "exa mple.social",
        "mastodon.social:8080",
        "-bad-.example",
        "..",
    ],
)
def test_anything_but_a_server_name_gets_a_clear_page_not_a_redirect(client, letter, typed):
    response = client.get(f"/petitions/{letter.slug}/share/mastodon/", {"server": typed})
    assert response.status_code == 400
    assert "Mastodon server" in response.content.decode()


def test_mastodon_share_of_an_unknown_or_draft_letter_is_not_found(client):
    draft = make_petition(status=Petition.Status.DRAFT)
    for slug in ("no-such-letter", draft.slug):
        assert client.get(f"/petitions/{slug}/share/mastodon/", {"server": "mastodon.social"}).status_code == 404


def test_pages_show_when_a_letter_was_published_and_when_it_closes(client):
    closes = timezone.now() + timedelta(days=10)
    letter = make_petition(closes_at=closes)
    page = client.get(letter.get_absolute_url()).content.decode()
    assert f'<time datetime="{letter.published_at.isoformat(timespec="microseconds")}' in page or (
        f'datetime="{letter.published_at:%Y-%m-%dT%H:%M:%S}' in page
    )
    assert "Published" in page and "Closes" in page and f'datetime="{closes:%Y-%m-%dT%H:%M:%S}' in page
    letter.close()
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "Closed" in page and f'datetime="{letter.closed_at:%Y-%m-%dT%H:%M:%S}' in page


def test_the_goal_shows_as_a_labelled_progress_bar(client):
    letter = make_petition(goal=4)
    make_signature(letter)
    page = client.get(letter.get_absolute_url()).content.decode()
    assert '<progress id="goal-progress" max="4" value="1">' in page
    assert '<label for="goal-progress">Progress toward the goal of 4 signatures</label>' in page


def test_a_letter_without_a_goal_has_no_progress_bar(client, letter):
    assert "<progress" not in client.get(letter.get_absolute_url()).content.decode()


def test_every_page_names_the_favicon_and_the_favicon_is_served(client, letter):
    head = head_of(client.get(letter.get_absolute_url()))
    assert head.links["icon"].endswith("front/favicon.svg")
    assert client.get(head.links["icon"]).status_code == 200
    assert client.get("/favicon.ico")["Location"].endswith("front/favicon.svg")


def test_link_previews_show_a_picture_of_the_title_and_count(client, settings):
    from io import BytesIO

    from PIL import Image

    settings.SITE_URL = "https://letters.example"
    letter = make_petition(title="Fair terms for artists", goal=10)
    head = head_of(client.get(letter.get_absolute_url()))
    image_url = f"https://letters.example/petitions/{letter.slug}/share.png"
    assert head.meta["og:image"] == head.meta["twitter:image"] == image_url
    assert head.meta["twitter:card"] == "summary_large_image"
    response = client.get(f"/petitions/{letter.slug}/share.png")
    assert response["Content-Type"] == "image/png"
    assert Image.open(BytesIO(response.content)).size == (1200, 630)


def test_the_picture_changes_when_the_count_does(client, letter):
    before = client.get(f"/petitions/{letter.slug}/share.png").content
    make_signature(letter)
    assert client.get(f"/petitions/{letter.slug}/share.png").content != before


@pytest.mark.parametrize(
    "title", ["W" * 200, "A very long title " * 11, "Ελληνικά και кириллица و العربية 日本語", "\u202eevil\u202c"]
)
def test_any_title_gives_a_picture(client, title):
    letter = make_petition(title=title[:200])
    response = client.get(f"/petitions/{letter.slug}/share.png")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")


def test_no_picture_of_an_unknown_or_draft_letter(client):
    draft = make_petition(status=Petition.Status.DRAFT)
    for slug in ("no-such-letter", draft.slug):
        assert client.get(f"/petitions/{slug}/share.png").status_code == 404


def test_with_the_cache_down_the_share_picture_is_still_drawn(client, letter):
    from django.test.utils import override_settings

    unreachable = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with override_settings(CACHES=unreachable):
        response = client.get(f"/petitions/{letter.slug}/share.png")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
