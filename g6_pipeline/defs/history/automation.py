"""When the daily assets run by themselves: declarative automation, evaluated by one sensor.

- A (day, index) is sealed once its session has ended: the first evaluation after the close (the calendar's,
  special sessions included), and again if its minute data changes afterwards (a gap repaired).
- The weekday master of a (day, index) folds once that day is sealed, the seal is not running, and its
  blocking checks (`completeness`, `no_duplicates`) passed, so a bad day never reaches the master.

Only days whose session ended within `RECENT_DAYS` are sealed automatically (a daemon down over a long weekend
catches up); older days are sealed where they are made (`g6 backfill`, the imports) or from the UI. The
session test is Python (`SessionEnded`), so the sensor evaluates on the code server.
"""


from datetime import timedelta

import dagster as dg

from g6_pipeline.collection.run_tags import DAILY_TAGS
from g6_pipeline.core.calendar import CalendarError
from g6_pipeline.core.clock import IST
from g6_pipeline.defs.partitions import day_and_index
from g6_pipeline.defs.resources import process_setup

RECENT_DAYS = 7
"""How many calendar days after its session a day is still sealed automatically."""
AUTOMATION_INTERVAL_SECONDS = 60


class SessionEnded(dg.AutomationCondition):
    """True for a (day, index) partition whose day's session has ended within the last `RECENT_DAYS` days."""

    @property
    def name(self) -> str:
        """Shown in the UI's automation evaluations."""
        return "session_ended"

    @property
    def description(self) -> str:
        """What the condition means."""
        return f"the day's trading session has ended (within the last {RECENT_DAYS} days)"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        """Keep the candidate partitions whose session is over."""
        calendar = process_setup().calendar
        now = context.evaluation_time.astimezone(IST)
        ended: set[str] = set()
        for key in context.candidate_subset.expensively_compute_partition_keys():
            day, _ = day_and_index(key)
            try:
                session = calendar.session(day)
            except CalendarError:
                continue
            if session is not None and session.end <= now < session.end + timedelta(days=RECENT_DAYS):
                ended.add(key)
        return dg.AutomationResult(context, context.candidate_subset.compute_intersection_with_partition_keys(ended))


SEAL_AFTER_SESSION = (
    SessionEnded()
    & (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.any_deps_in_progress()
).with_label("seal after the session")

FOLD_WHEN_SEALED = (
    SessionEnded()
    & (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
    & ~dg.AutomationCondition.in_progress()
).with_label("fold once sealed and checked")

daily_automation = dg.AutomationConditionSensorDefinition(
    "daily_automation",
    target=dg.AssetSelection.groups("daily"),
    use_user_code_server=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=AUTOMATION_INTERVAL_SECONDS,
    run_tags=DAILY_TAGS,
    description="Seals each (day, index) after its session and folds it into the weekday master once checked.",
)
