from allauth.account.adapter import DefaultAccountAdapter


class ModeratorAccountAdapter(DefaultAccountAdapter):
    """Accounts exist only for moderators, whom a superuser creates; nobody signs up."""

    def is_open_for_signup(self, request) -> bool:
        return False
