"""Request guards that apply to every surface, placed before anything reads a form."""

from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class Utf8FormsOnly:
    """A form must be UTF-8 (what every page of ours declares and browsers then send): anything else is 400.

    Django refuses a declared non-UTF-8 charset only on views that read the form, ignores an unknown one, and
    replaces undecodable bytes silently; refusing every such POST at the door is uniform, and it happens before
    the CSRF check (which reads the form), so no surface turns the bad bytes into a 500 or into other text.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.content_type
        if request.method not in ("GET", "HEAD", "OPTIONS") and content_type in (FORM, MULTIPART):
            charset = request.content_params.get("charset")
            if charset is not None and not _is_utf8(charset):
                raise BadRequest("A form must be sent in UTF-8.")
            if content_type == FORM and not _decodes(request.body):
                raise BadRequest("A form must be sent in UTF-8.")
        return self.get_response(request)


def _is_utf8(charset: str) -> bool:
    """Exactly the label Django's form parser accepts ("utf8" and other aliases it refuses too)."""
    return charset.strip().lower() == "utf-8"


def _decodes(body: bytes) -> bool:
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
