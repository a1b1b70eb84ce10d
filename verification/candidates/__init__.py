"""Roster entries a claimed name may refer to, across scripts, spacing, order, nicknames, initials and typos.

A name never verifies anyone. These functions only decide where a "was this you?" challenge may go, what a
moderator is shown, and whether a signer already matched by address may be shown under the name they typed.
Pure Python (no Django models), so it can be tested and benchmarked without a database.

    index = CandidateIndex(RosterEntry.objects.values_list("pk", "full_name"))
    index.candidates("Sergei Ivanov")          # [Candidate(entry_id=7, score=0.975, reason="transliteration")]
    index.name_frequency("Wang Wei")           # entries with that normalised name (王伟, "Wei Wang"...)
    compatible("Bill Smith", "William Smith")  # True
"""

from .compare import best_match, compatible
from .index import Candidate, CandidateIndex
from .nameforms import NameForms, name_forms

__all__ = ["Candidate", "CandidateIndex", "NameForms", "best_match", "compatible", "name_forms"]
