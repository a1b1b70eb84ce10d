"""Events of the verification domain that the apps above it listen to (they connect in their `ready()`).

Sending a signal instead of importing the layer above keeps `verification` below `teams`.
"""

from django.dispatch import Signal

# Sent inside the transaction that wrote an uploaded roster (`import_id`, a RosterImport now `done`; `changed`:
# whether the roster changed). Receivers: teams.reach.record_roster_import (the audit line of the import, and
# when a change reaches other teams' letters, the recorded change and the notice to their moderators).
roster_imported = Signal()
