"""`{% calibration_panel %}`: the user's lines, each default beside the calibrated value, with apply/revert."""
from django import template

from apps.bias.services.rules import rule_calibration_view

register = template.Library()


@register.inclusion_tag("bias/_calibration.html", takes_context=True)
def calibration_panel(context, back: str = "/rules/calibration/") -> dict:
    request = context["request"]
    return {"calibration": rule_calibration_view(user=request.user), "back": back,
            "csrf_token": context.get("csrf_token")}
