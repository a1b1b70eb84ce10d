from django.apps import AppConfig


class FrontConfig(AppConfig):
    """The public site: petition pages, the signing form and its emailed links, the read-only JSON API."""

    name = "front"
    verbose_name = "Public site"
