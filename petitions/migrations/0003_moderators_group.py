"""The "Moderators" group: exactly the model permissions the moderator panel needs.

Which petitions a moderator sees is decided by Petition.moderators (petitions.permissions); this group
decides what they may do there. Permissions are created here if post_migrate has not run yet.
"""

from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = {
    ("petitions", "petition"): ["view"],
    ("petitions", "petitionversion"): ["view"],
    ("signatures", "signature"): ["view", "change"],
    ("signatures", "claimreview"): ["view", "change"],
    ("signatures", "affiliationtally"): ["view"],
    ("verification", "evidence"): ["view"],
    ("verification", "affiliation"): ["view", "change"],
    ("verification", "rosterentry"): ["view", "change"],
    ("verification", "rosterimport"): ["view", "add"],
}


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    granted = []
    for (app_label, model_name), actions in PERMISSIONS.items():
        verbose_name = apps.get_model(app_label, model_name)._meta.verbose_name
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model_name)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model_name}",
                defaults={"name": f"Can {action} {verbose_name}"},
            )
            granted.append(permission)
    group.permissions.set(granted)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("petitions", "0002_initial"),
        ("signatures", "0003_claimreview"),
        ("verification", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
