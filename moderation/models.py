"""The moderators' panel owns no tables; this module exists so that Django sends it post_migrate (see apps.py)."""
