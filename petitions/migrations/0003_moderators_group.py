"""Once created the Moderators group; petitions.permissions.sync_moderators_group now keeps it.

The group and its permissions are synced on post_migrate (after every migrate and flush), so this
migration no longer does anything. It stays because later migrations depend on it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("petitions", "0002_initial"),
        ("signatures", "0003_claimreview"),
        ("verification", "0001_initial"),
    ]

    operations = []
