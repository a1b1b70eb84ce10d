from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save


class FrontConfig(AppConfig):
    """The public site: petition pages, the signing form and its emailed links, the read-only JSON API."""

    name = "front"
    verbose_name = "Public site"

    def ready(self) -> None:
        from petitions.models import Petition
        from signatures.signals import signature_moderated, signatures_anonymised

        post_save.connect(_forget_petition, sender=Petition, dispatch_uid="front.forget_saved_petition")
        post_delete.connect(_forget_petition, sender=Petition, dispatch_uid="front.forget_deleted_petition")
        m2m_changed.connect(
            _forget_petition, sender=Petition.affiliations.through, dispatch_uid="front.forget_petition_affiliations"
        )
        signatures_anonymised.connect(_forget_signers, dispatch_uid="front.forget_anonymised_signers")
        signature_moderated.connect(_forget_moderated, dispatch_uid="front.forget_moderated_signature")


def _forget_petition(sender, instance, **kwargs) -> None:
    """A text, title, status or affiliation change shows at once: the kept copies go when it commits.

    (Also after the commit, so that a copy rendered meanwhile from the old row is dropped too.)
    """
    from front import kept_petitions
    from front.public_cache import forget

    if kwargs.get("action", "post_").startswith("post_") and getattr(instance, "slug", None):
        slug = instance.slug

        def drop() -> None:
            forget(slug)
            kept_petitions.forget(slug)

        drop()
        transaction.on_commit(drop)


def _forget_moderated(sender, petition_id: int, **kwargs) -> None:
    """Spam a moderator removed (or a signature put back) shows on the public pages when it commits."""
    from petitions.models import Petition

    _forget_after_commit(list(Petition.objects.filter(pk=petition_id).values_list("slug", flat=True)))


def _forget_signers(sender, signature_ids: list[int], **kwargs) -> None:
    """An erased or anonymised signer's name leaves the kept pages when it commits, not a lag later."""
    from petitions.models import Petition

    slugs = Petition.objects.filter(signatures__pk__in=signature_ids).values_list("slug", flat=True).distinct()
    _forget_after_commit(list(slugs))


def _forget_after_commit(slugs: list[str]) -> None:
    """Now, and again after the commit (a copy rendered meanwhile from the old rows is dropped too)."""
    from front.public_cache import forget

    def drop() -> None:
        for slug in slugs:
            forget(slug)

    drop()
    transaction.on_commit(drop)
