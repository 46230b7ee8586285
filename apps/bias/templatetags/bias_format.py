"""Formatting of the labels' lines: percentages, plain numbers and multiples."""
from django import template

register = template.Library()


@register.filter
def line_value(value, unit: str) -> str:
    if value is None:
        return "—"
    number = float(value)
    if unit == "percent":
        return f"{number * 100:.1f}%"
    if unit == "multiple":
        return f"{number:.2f}×"
    return f"{number:.1f}"
