"""The owner's insights page: how guests get through check-in, as a chart, a table and a CSV."""
from flask import render_template, request

from ..services import insights
from .auth import owner_required
from .blueprint import bp


@bp.route("/insights")
@owner_required
def insights_page():
    figures = insights.insights_for(insights.parse_period(request.args.get("period")))
    return render_template("owner/insights.html", insights=figures, periods=insights.PERIOD_LABELS)


@bp.route("/insights.csv")
@owner_required
def insights_csv():
    figures = insights.insights_for(insights.parse_period(request.args.get("period")))
    filename = f"check-in-insights-{figures.first_day.isoformat()}-to-{figures.last_day.isoformat()}.csv"
    return insights.insights_csv(figures), {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
