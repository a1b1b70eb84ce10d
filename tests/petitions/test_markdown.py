"""The petition text is Markdown, shown as HTML from which anything that could run or embed is removed."""

import pytest

from petitions.markdown import render_markdown
from tests.support.factories import make_petition

pytestmark = pytest.mark.django_db


def test_petition_page_shows_the_text_formatted(client):
    petition = make_petition(body="We ask for **fair pay**.\n\n- one\n- two\n\n[Read more](https://example.org/more)")
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "<strong>fair pay</strong>" in page
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in page
    assert '<a href="https://example.org/more" rel="nofollow noopener noreferrer">Read more</a>' in page


def test_petition_page_does_not_run_script_in_the_text(client):
    petition = make_petition(body="Hello <script>alert('body')</script> world")
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "alert('body')" not in page
    assert "Hello" in page


def test_numbered_lists_tables_and_quotes_render():
    html = render_markdown("1. first\n2. second\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<ol>\n<li>first</li>" in html
    assert "<blockquote>" in html
    assert "<td>1</td>" in html


def test_headings_sit_below_the_page_title():
    assert render_markdown("# Our demands\n\n## Pay") == "<h2>Our demands</h2>\n<h3>Pay</h3>"


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "alert"),
        ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>", "evil.example"),
        ('<p onclick="steal()">text</p>', "steal"),
        ('<a href="https://ok.example" onmouseover="steal()">ok</a>', "steal"),
        ("[click](javascript:alert(1))", "javascript"),
        ('<a href="JaVaScRiPt:alert(1)">click</a>', "alert"),
        ("[click](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ('<iframe src="https://evil.example/"></iframe>', "iframe"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("![tracker](https://evil.example/pixel.png)", "evil.example"),
        ('<div style="position:fixed">overlay</div>', "style"),
        ('<form action="https://evil.example/"><input name="password"></form>', "<form"),
        ("<style>body { display: none }</style>", "display"),
        ('<object data="https://evil.example/x.swf"></object>', "evil.example"),
        ("<svg><script>alert(1)</script></svg>", "alert"),
        ('Text\n{: onclick="steal()" }', "steal"),
    ],
)
def test_hostile_markup_is_removed(markdown, forbidden):
    assert forbidden.lower() not in render_markdown(markdown).lower()


def test_raw_html_tags_are_removed_but_their_text_stays():
    html = render_markdown('<div class="box"><span>kept text</span></div>')
    assert "kept text" in html
    assert "<div" not in html and "<span" not in html and "class=" not in html


def test_pathologically_nested_text_is_shown_as_text_not_an_error(client):
    petition = make_petition(body="- " * 3000 + "deep")
    response = client.get(petition.get_absolute_url())
    assert response.status_code == 200
    assert "deep" in response.content.decode()
