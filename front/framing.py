"""Which pages other sites may frame: only views decorated with `frameable` (SPEC: the embed counter).

Every other response forbids framing twice over: `X-Frame-Options: DENY` and the Content-Security-Policy's
`frame-ancestors 'none'` (undersigned/settings.py). A frameable view lifts both, and nothing else.
"""

from collections.abc import Callable

from csp.decorators import csp_replace
from django.views.decorators.clickjacking import xframe_options_exempt


def frameable(view: Callable) -> Callable:
    """Let any site put this view's page in an <iframe> (its CSP stays otherwise the same)."""
    return xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(view))
