"""The beat schedule's admin: only staff who may change it enable, disable or run jobs."""

import pytest
from django.contrib.auth.models import Group, User
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/django_celery_beat/periodictask/"


@pytest.mark.parametrize(
    ("role", "may_change"), [("support", False), ("finance", False), ("admin", True)]
)
def test_only_staff_who_may_change_the_schedule_disable_a_job(client, role, may_change):
    # given a scheduled job, and a member of the group logged in
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.create(
        name="expire-authorizations", task="payments.tasks.x", interval=every_minute
    )
    user = User.objects.create_user(role, password="a-long-enough-password", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    offered = client.get(CHANGELIST).content.decode()

    # when they ask to disable it from the list page
    client.post(CHANGELIST, {"action": "disable_tasks", "_selected_action": [task.pk]})

    # then
    assert ('value="disable_tasks"' in offered) is may_change
    assert ('value="run_tasks"' in offered) is may_change
    task.refresh_from_db()
    assert task.enabled is not may_change
