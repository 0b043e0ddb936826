"""Server-rendered pages (Jinja2); the officers' and back-office pages join them later."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.models import Unit, UnitGroup
from core.numbers import format_score
from core.settings import Settings
from core.timefmt import format_datetime
from forms.models import Assessment, CriteriaSet, Period

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    enable_async=True,
)


async def home_page(settings: Settings) -> str:
    """The landing page: what is loaded, so a first-time visitor sees the service is alive."""
    tz = settings.tz
    periods = [
        {
            "code": p.code,
            "name": p.name,
            "opens": format_datetime(p.self_assessment_opens_at, tz),
            "closes": format_datetime(p.self_assessment_closes_at, tz),
            "sheets": await Assessment.filter(period=p).count(),
        }
        for p in await Period.all()
    ]
    groups = [
        {"code": g.code, "name": g.name, "units": await Unit.filter(group=g).count()}
        for g in await UnitGroup.all()
    ]
    sets = await CriteriaSet.all()
    return await templates.get_template("home.html").render_async(
        periods=periods,
        groups=groups,
        sets=[
            {
                "code": s.code,
                "version": s.version,
                "name": s.name,
                "total": format_score(s.total_max),
            }
            for s in sets
        ],
        sample=any(s.is_sample for s in sets),
    )
