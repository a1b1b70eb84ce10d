"""Events of the signatures domain that the apps above it listen to (they connect in their `ready()`).

Sending a signal instead of importing the layer above keeps `signatures` below `verification`.
"""

from django.dispatch import Signal

# Sent inside the transaction that confirmed a signature whose claim now waits to be checked
# (`signature_id`). Receivers: verification.tasks.queue_claim_check (checks the claim after the commit).
signature_confirmed = Signal()

# Sent inside the transaction that anonymised these signatures (`signature_ids`, a list): the layers above drop
# what they hold about the signers. Receivers: verification.claims.forget_signers (evidence and roster
# challenges), moderation.decisions.forget_signers (names in the admin's history).
signatures_anonymised = Signal()

# Sent inside the transaction of a moderator's removal or reinstatement of a signature (`petition_id`): the
# public pages show it at once, not within their stated lag. Receivers: front (drops the kept page copies).
signature_moderated = Signal()
