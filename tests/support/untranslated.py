"""Text a template shows that no `{% translate %}`/`{% blocktranslate %}` covers: what the reader would see in
English whatever their language. Used by tests/test_catalogues.py over the public and signer-facing templates."""

import re
from html.parser import HTMLParser

_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
_BLOCKTRANSLATE = re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
_TEMPLATE_CODE = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ -][A-Za-z'’]+)*")
# Shown to people as words: text nodes and these attributes. Code samples, styles and scripts are not prose.
_WORDY_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
_NOT_PROSE = ("style", "script", "code", "pre", "textarea")
# Words that are the same in every language.
NAMES = {"Undersigned"}


class _Prose(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside_code = 0
        self.words: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _NOT_PROSE:
            self.inside_code += 1
        self.words += [value for name, value in attrs if name in _WORDY_ATTRIBUTES and value and _WORDS.search(value)]

    def handle_endtag(self, tag):
        if tag in _NOT_PROSE and self.inside_code:
            self.inside_code -= 1

    def handle_data(self, data):
        if not self.inside_code:
            self.words += _WORDS.findall(data)


def untranslated_text(source: str) -> list[str]:
    """The runs of words in a template's source that are outside every translate tag (template code removed)."""
    source = _TEMPLATE_CODE.sub("", _BLOCKTRANSLATE.sub("", _COMMENT.sub("", source)))
    parser = _Prose()
    parser.feed(source)
    parser.close()
    return [words for words in parser.words if words not in NAMES]
