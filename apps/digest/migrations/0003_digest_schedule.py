"""Schedule the weekly digest (hourly: each user's week ends at their own Monday midnight) and the daily
archive of digests older than six months. Idempotent."""
from django.db import migrations

SCHEDULES = {
    "digest: weekly digests": ("digest.weekly", {"minute": "5", "hour": "*"}),
    "digest: archive older than six months": ("digest.archive", {"minute": "40", "hour": "3"}),
}


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, when) in SCHEDULES.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=when["minute"], hour=when["hour"], day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="UTC")
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "interval": None, "enabled": True, "queue": "digest"})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("digest", "0002_job_columns"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
