"""Calendar periods ("every 2 years", "within 90 days") as the catalogs write them: years and
months move the calendar, then days are added; a day the target month lacks (29 February in a
common year) becomes that month's last day. The rosters rules and the training courses share
this arithmetic so that "2 years" means the same in both."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CalendarPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    years: int = Field(0, ge=0)
    months: int = Field(0, ge=0)
    days: int = Field(0, ge=0)

    @model_validator(mode="after")
    def not_empty(self):
        if not (self.years or self.months or self.days):
            raise ValueError("a period needs years, months or days, e.g. {years: 2} or {days: 90}")
        return self

    def add_to(self, day: date) -> date:
        if self.years or self.months:
            months = day.year * 12 + day.month - 1 + self.years * 12 + self.months
            year, month = divmod(months, 12)
            month += 1
            day = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
        return day + timedelta(days=self.days)
