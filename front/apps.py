from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save


class FrontConfig(AppConfig):
    """The public site: petition pages, the signing form and its emailed links, the read-only JSON API."""

    name = "front"
    verbose_name = "Public site"

    def ready(self) -> None:
        from petitions.models import Petition

        post_save.connect(_forget_petition, sender=Petition, dispatch_uid="front.forget_saved_petition")
        post_delete.connect(_forget_petition, sender=Petition, dispatch_uid="front.forget_deleted_petition")
        m2m_changed.connect(
            _forget_petition, sender=Petition.affiliations.through, dispatch_uid="front.forget_petition_affiliations"
        )


def _forget_petition(sender, instance, **kwargs) -> None:
    """A text, title, status or affiliation change shows at once: the kept copies go when it commits.

    (Also after the commit, so that a copy rendered meanwhile from the old row is dropped too.)
    """
    from front.public_cache import forget

    if kwargs.get("action", "post_").startswith("post_") and getattr(instance, "slug", None):
        slug = instance.slug
        forget(slug)
        transaction.on_commit(lambda: forget(slug))
