"""Markdown to HTML that is safe to mark |safe: rendered by Python-Markdown, then sanitised by nh3.

Raw HTML in the Markdown is cleaned like the rest: only the tags and attributes below survive. Headings
move down a level (the page's title is its only h1). The result is cached by the text's hash, so a
busy page does not render the same text again and again.
"""

import hashlib
import logging
import xml.etree.ElementTree as etree

import markdown
import nh3
from django.core.cache import cache
from django.utils.html import escape, linebreaks
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
RENDERER = "2"  # change when the output for the same text changes, so cached HTML is not reused
CACHE_SECONDS = 24 * 3600


class _DemoteHeadings(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in ("h1", "h2", "h3", "h4", "h5"):
                element.tag = f"h{int(element.tag[1]) + 1}"


class _DemoteHeadingsExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Python-Markdown's hook name)
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 5)


def render_markdown(text: str) -> str:
    key = f"markdown:{RENDERER}:{hashlib.sha256(text.encode()).hexdigest()}"
    try:
        html = cache.get(key)
    except Exception:  # a cache outage must not take the petition pages down
        logger.warning("cache unavailable for rendered Markdown", exc_info=True)
        return _render(text)
    if html is None:
        html = _render(text)
        try:
            cache.set(key, html, CACHE_SECONDS)
        except Exception:
            logger.warning("cache unavailable for rendered Markdown", exc_info=True)
    return html


def _render(text: str) -> str:
    try:
        html = markdown.markdown(text, extensions=["extra", "sane_lists", _DemoteHeadingsExtension()])
    except RecursionError:
        # Pathologically nested Markdown: show the text as it was written rather than fail the page.
        logger.warning("Markdown too deeply nested; shown as plain text")
        return linebreaks(escape(text))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
