"""The one time zone of the SCC's days, schedules and providers' clocks."""

from zoneinfo import ZoneInfo

TIMEZONE = "Europe/London"
LONDON = ZoneInfo(TIMEZONE)
