"""Forms of the scorecard template admin (the checks themselves live in scorecards.templating)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from sam.forms import StyledFormMixin, choice
from scorecards import sources
from scorecards.models import Area, MetricDefinition, ScorecardSettings


class MetricForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    area = forms.ChoiceField(choices=Area.choices)
    unit = forms.ChoiceField(choices=MetricDefinition.Unit.choices)
    direction = forms.ChoiceField(choices=MetricDefinition.Direction.choices)
    target = forms.CharField(max_length=20, help_text="Green at or beyond this value.")
    amber = forms.CharField(max_length=20, help_text="Amber from here up to the target; red beyond it.")
    red = forms.CharField(max_length=20, help_text="The metric scores zero at or beyond this value.")
    weight = forms.CharField(max_length=10, initial="1", help_text="Weight within its area (normalised).")
    min_value = forms.CharField(
        max_length=20,
        required=False,
        label="Lowest value",
        help_text="Optional: values below are refused (e.g. -100 for NPS).",
    )
    max_value = forms.CharField(
        max_length=20,
        required=False,
        label="Highest value",
        help_text="Optional: values above are refused (e.g. 5 on a 1-5 scale).",
    )
    source = forms.ChoiceField(choices=[])
    visibility = forms.ChoiceField(choices=MetricDefinition.Visibility.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "source").choices = sources.choices()
        self.fields["source"].help_text = "Entered by hand, or filled from the product's own data."
        for name in ("target", "amber", "red", "weight", "min_value", "max_value"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"

    @classmethod
    def initial_of(cls, metric: MetricDefinition) -> dict[str, Any]:
        values = {name: getattr(metric, name) for name in cls.base_fields}
        for name in ("target", "amber", "red", "weight", "min_value", "max_value"):
            values[name] = "" if values[name] is None else f"{values[name].normalize():f}"
        return values


class ValueForm(forms.Form):
    """One metric's value on a scorecard as typed, with its comment and evidence (the service reads the number
    by the metric's kind)."""

    value = forms.CharField(max_length=40, required=False)
    comment = forms.CharField(max_length=2000, required=False)
    evidence = forms.CharField(max_length=2000, required=False)


class ScorecardSettingsForm(StyledFormMixin, forms.ModelForm[ScorecardSettings]):
    class Meta:
        model = ScorecardSettings
        fields = ["period_length"]


class TemplateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=120, label="New template", help_text="Starts as a copy of the default template.")


class WeightsForm(StyledFormMixin, forms.Form):
    """The weight of each of the five areas (any non-negative numbers: they are normalised)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for area in Area:
            self.fields[area.value] = forms.DecimalField(label=area.label, required=False, min_value=0, max_value=1000)
            self.fields[area.value].widget.attrs["inputmode"] = "decimal"
        self.style_fields()

    @classmethod
    def of(cls, weights: dict[str, Any]) -> WeightsForm:
        return cls(initial={area: f"{float(weights.get(area, 0) or 0):g}" for area in Area.values})


class AgreedTargetForm(StyledFormMixin, forms.Form):
    """A target agreed with the customer for one joint metric (empty: back to the standard target)."""

    target = forms.CharField(max_length=40, required=False, label="Agreed target")
    agreed_with = forms.CharField(max_length=200, required=False, label="Agreed with")
    agreed_on = forms.DateField(required=False, label="Agreed on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].widget.attrs["inputmode"] = "decimal"
        self.fields["agreed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
