"""Forms of the assessment and 4 R's pages: every value a page sends is read and checked here."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms


class RollupForm(forms.Form):
    """The 4 R's over time: the day to read the answers on, the day to compare with, and one account's team."""

    on = forms.DateField(required=False)
    before = forms.DateField(required=False)
    account = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def days(self, today: date) -> tuple[date, date]:
        """The two days, today and a year before unless given (call after ``is_valid``)."""
        data = getattr(self, "cleaned_data", {})
        return data.get("on") or today, data.get("before") or today - timedelta(days=365)

    def dates_invalid(self) -> bool:
        return "on" in self.errors or "before" in self.errors
