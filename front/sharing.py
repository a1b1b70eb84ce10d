"""What a letter's page offers for sharing: its canonical URL, the share links, and the Mastodon hand-off.

Share links are plain links (no third-party script, no tracking): mail, Bluesky's compose intent, and
Mastodon through our own small redirect, because Mastodon has no central site: the reader names their
server and we send them to its `/share` page with the text filled in.
"""

import re
from urllib.parse import quote, urlencode

import idna
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from petitions.models import Petition

# A host name as DNS spells it (after IDNA): dot-separated labels, a top-level label that starts with a letter
# (so IP literals, `localhost` and single labels are refused).
_HOST = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])$")
MAX_SERVER_LENGTH = 300


class BadServer(ValueError):
    """What the reader typed is not a server's host name."""


def absolute(path: str) -> str:
    """An absolute link on the canonical site (SITE_URL), as shares and feeds must carry."""
    return f"{settings.SITE_URL}{path}"


def share_text(petition: Petition) -> str:
    """The words a share starts with: the title and how many have signed."""
    count = petition.signature_count
    signed = ngettext("%(count)d signature", "%(count)d signatures", count) % {"count": count}
    return f"{petition.title} ({signed})"


def description(petition: Petition) -> str:
    """The summary the link previews show (Open Graph, Twitter card), with the counts."""
    count = petition.signature_count
    counts = ngettext("%(count)d confirmed signature", "%(count)d confirmed signatures", count) % {"count": count}
    if petition.goal:
        counts = _("%(counts)s of a goal of %(goal)d") % {"counts": counts, "goal": petition.goal}
    return f"{petition.summary} — {counts}." if petition.summary else f"{counts}."


def share_links(petition: Petition) -> dict:
    url = absolute(petition.get_absolute_url())
    text = share_text(petition)
    return {
        "url": url,
        "text": text,
        "description": description(petition),
        "mail": "mailto:?" + urlencode({"subject": petition.title, "body": f"{text}\n\n{url}"}, quote_via=quote),
        "embed": absolute(reverse("petitions:embed", args=[petition.slug])),
        "image": absolute(reverse("petitions:share_image", args=[petition.slug])),
        "bluesky": "https://bsky.app/intent/compose?" + urlencode({"text": f"{text} {url}"}, quote_via=quote),
    }


def mastodon_share_url(server: str, petition: Petition) -> str:
    """The reader's own server's share page with the letter filled in (BadServer if `server` is not a host).

    Accepts what people type: `mastodon.social`, `https://mastodon.social/`, or a handle `@me@mastodon.social`.
    """
    host = server.strip().lower()
    if not host or len(host) > MAX_SERVER_LENGTH:
        raise BadServer(server)
    host = re.sub(r"^https?://", "", host).split("/", 1)[0].rpartition("@")[2]
    try:
        host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise BadServer(server)
    if not _HOST.match(host):
        raise BadServer(server)
    links = share_links(petition)
    return f"https://{host}/share?" + urlencode({"text": f"{links['text']} {links['url']}"}, quote_via=quote)
