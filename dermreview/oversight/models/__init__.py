from dermreview.oversight.models.alarm import (
    UNRESOLVED,
    Alarm,
    AlarmKind,
    AlarmQuerySet,
    AlarmStatus,
    AlarmSubject,
)
from dermreview.oversight.models.alarm_digest import AlarmDigest

__all__ = ["UNRESOLVED", "Alarm", "AlarmDigest", "AlarmKind", "AlarmQuerySet", "AlarmStatus", "AlarmSubject"]
