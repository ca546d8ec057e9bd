"""志愿服务证明: issued by a team for the hours it confirmed, numbered per team and year, frozen at issue.

``issue`` takes the volunteer's confirmed sign-ups of the team's activities dated inside the period, freezes
them into the certificate's ``content``, renders a one-page PDF (WeasyPrint, the embedded CJK font) and a
.docx (python-docx, East-Asian font names) from that content alone, each carrying the verification address
``/v/certificates/<verify_token>/`` and its QR code, writes both files durably, and only then the row that
names them. Anyone holding the paper checks it on the public page; the volunteer's name shows masked there.
"""

from __future__ import annotations

import base64
import io
import uuid
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.core.bounds import date_error
from chuangwen.core.pdf import CJK_FONT_FAMILY, html_to_pdf
from chuangwen.evidence.storage import store_derivative
from chuangwen.volunteers import services
from chuangwen.volunteers.models import Certificate, HoursState, SignUp, Team, Volunteer
from chuangwen.volunteers.services import Refused

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from chuangwen.accounts.models import User

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# A certificate covers at most this many days (a year and a leap day).
PERIOD_MAX_DAYS = 366


# --- who sees what ------------------------------------------------------------------------------------------


def visible(user: User) -> QuerySet[Certificate]:
    """Certificates of the teams in the staff's unit subtree (``visible_to``), of the teams the user
    manages, and the volunteer's own."""
    if not user.is_authenticated:
        return Certificate.objects.none()
    mine = Q(team__managers=user) | Q(volunteer__user=user)
    if user.role in services.STAFF_ROLES:
        mine |= Q(pk__in=Certificate.objects.visible_to(user).values("pk"))
    found = Certificate.objects.filter(pk__in=Certificate.objects.filter(mine).values("pk"))
    return found.select_related("team", "volunteer", "issued_by")


def masked_name(volunteer: Volunteer) -> str:
    """The first character and one star (张*); a volunteer who left is 「已注销志愿者」."""
    if volunteer.left_at is not None:
        return _("已注销志愿者")
    name = volunteer.name.strip()
    return f"{name[:1]}*" if name else "*"


def verify_path(token: uuid.UUID | str) -> str:
    return reverse("volunteer_public:certificate_check", args=[token])


def verify_url(token: uuid.UUID | str) -> str:
    return str(settings.CHUANGWEN_BASE_URL).rstrip("/") + verify_path(token)


def hours_text(minutes: int) -> str:
    """Hours with one decimal (3.5), whole hours without (2)."""
    hours = round(minutes / 60, 1)
    return f"{hours:.0f}" if hours == int(hours) else f"{hours:.1f}"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- content ------------------------------------------------------------------------------------------------


def _confirmed(volunteer: Volunteer, team: Team, start: date, end: date) -> list[SignUp]:
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return list(
        SignUp.objects.filter(
            volunteer=volunteer,
            activity__team=team,
            hours_state=HoursState.CONFIRMED,
            activity__starts_at__gte=since,
            activity__starts_at__lt=until,
        )
        .select_related("activity")
        .order_by("activity__starts_at", "pk")
    )


def build_content(
    volunteer: Volunteer, team: Team, start: date, end: date, signups: list[SignUp], issued: date
) -> dict[str, Any]:
    """What the certificate says, as JSON: nothing later changes it."""
    activities: list[dict[str, Any]] = [
        {
            "date": timezone.localdate(s.activity.starts_at).isoformat(),
            "title": s.activity.title,
            "place": s.activity.place,
            "minutes": int(s.confirmed_minutes or 0),
        }
        for s in signups
    ]
    minutes = sum(int(a["minutes"]) for a in activities)
    return {
        "volunteer": {"number": volunteer.number, "name": volunteer.name, "id_last4": volunteer.id_last4},
        "team": {"code": team.code, "name": team.name},
        "issuer": team.body.name if team.body is not None else team.unit.name,
        "unit": team.unit.name,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "activities": activities,
        "minutes": minutes,
        "hours": hours_text(minutes),
        "issued_on": issued.isoformat(),
    }


# --- documents ----------------------------------------------------------------------------------------------


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=4, border=2)
    return out.getvalue()


def _view(content: dict[str, Any], number: str, url: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "c": content,
        "number": number,
        "url": url,
        "period": "{} 至 {}".format(
            chinese_date(date.fromisoformat(content["period_start"])),
            chinese_date(date.fromisoformat(content["period_end"])),
        ),
        "issued": chinese_date(date.fromisoformat(content["issued_on"])),
        "rows": [
            {**a, "hours": hours_text(a["minutes"]), "n": i} for i, a in enumerate(content["activities"], 1)
        ],
        "title": _("志愿服务证明"),
        "number_line": _("编号：%(n)s") % {"n": number},
        "headers": _headers(),
        "total": _("合计：%(h)s 小时（%(m)d 分钟）") % {"h": content["hours"], "m": content["minutes"]},
        "verify_line": _("扫码或访问以下地址核验本证明："),
    }
    view["statements"] = _statements(content, view)
    return view


def render_pdf(content: dict[str, Any], number: str, url: str) -> bytes:
    qr = "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")
    html = render_to_string(
        "volunteers/requests/certificate_pdf.html",
        {**_view(content, number, url), "font": CJK_FONT_FAMILY, "qr": qr},
    )
    return html_to_pdf(html)


def render_docx(content: dict[str, Any], number: str, url: str) -> bytes:
    from docx import Document as new_docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    view = _view(content, number, url)
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(25)

    def font(run: Any, east_asia: str, size: float, bold: bool = False) -> None:
        run.font.name, run.font.size, run.font.bold = "Times New Roman", Pt(size), bold
        r_pr = run._element.get_or_add_rPr()
        fonts = r_pr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            r_pr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), east_asia)

    def para(text: str, size: float = 12, *, east_asia: str = "宋体", align: Any = None, bold: bool = False,
             indent: bool = False) -> None:  # fmt: skip
        paragraph = doc.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(size * 2)
        font(paragraph.add_run(text), east_asia, size, bold)

    c = content
    para(view["title"], 22, east_asia="黑体", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    para(view["number_line"], 10.5, align=WD_ALIGN_PARAGRAPH.RIGHT)
    for text in view["statements"]:
        para(text, 12, indent=True)
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, view["headers"], strict=True):
        cell.text = ""
        font(cell.paragraphs[0].add_run(text), "黑体", 10.5, True)
    for row in view["rows"]:
        cells = table.add_row().cells
        for cell, text in zip(cells, [str(row["n"]), row["date"], row["title"], row["place"], row["hours"]],
                              strict=True):  # fmt: skip
            cell.text = ""
            font(cell.paragraphs[0].add_run(text), "宋体", 10.5)
    para(view["total"], 12, bold=True)
    para(c["issuer"], 12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(c["team"]["name"], 12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(view["issued"], 12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.add_picture(io.BytesIO(qr_png(url)), width=Mm(28))
    para(view["verify_line"], 9)
    para(url, 9)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _headers() -> list[str]:
    return [_("序号"), _("日期"), _("活动名称"), _("地点"), _("时长（小时）")]


def _statements(c: dict[str, Any], view: dict[str, Any]) -> list[str]:
    who = c["volunteer"]
    lines = [
        _("兹证明志愿者 %(name)s（志愿者编号 %(number)s，身份证号后四位 %(last4)s）于 %(period)s 期间，"
          "参加%(team)s组织的志愿服务活动 %(count)d 次，经组织方确认的服务时长共计 %(hours)s 小时。")
        % {
            "name": who["name"], "number": who["number"], "last4": who["id_last4"] or "—",
            "period": view["period"], "team": c["team"]["name"], "count": len(c["activities"]),
            "hours": c["hours"],
        },
        _("特此证明。服务明细如下："),
    ]  # fmt: skip
    return lines


# --- issue --------------------------------------------------------------------------------------------------


def _check_period(start: date, end: date) -> None:
    for value, field, label in (
        (start, "period_start", _("服务期间起")),
        (end, "period_end", _("服务期间止")),
    ):
        reason = date_error(value, label)
        if reason is not None:
            raise Refused("invalid", reason, field)
    if end < start:
        raise Refused("invalid", _("服务期间止不能早于服务期间起"), "period_end")
    if (end - start).days >= PERIOD_MAX_DAYS:
        raise Refused("invalid", _("服务期间不能超过 %(n)d 天") % {"n": PERIOD_MAX_DAYS}, "period_end")


def _next_number(team: Team, year: int) -> str:
    prefix = f"{team.code}-{year}-"
    last = Certificate.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    tail = last[len(prefix) :] if last else ""
    seq = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{seq:05d}"


def issue(
    volunteer: Volunteer,
    team: Team,
    period_start: date,
    period_end: date,
    user: User,
    *,
    now: datetime | None = None,
) -> Certificate:
    """Issue the certificate of the volunteer's confirmed hours with the team in the period: only a manager
    of the team; refused when there is nothing confirmed. Files first (durably), then the row."""
    now = now or timezone.now()
    if not services.manages_team(user, team):
        raise Refused("forbidden", _("只有队伍管理员或所在单位可以出具志愿服务证明"), "team")
    if volunteer.left_at is not None:
        raise Refused("left", _("该志愿者已注销"), "volunteer")
    _check_period(period_start, period_end)
    signups = _confirmed(volunteer, team, period_start, period_end)
    if not signups:
        raise Refused("empty", _("该志愿者在此期间没有本队伍已确认的服务时长，不能出具证明"), "period_start")
    today = timezone.localdate(now)
    content = build_content(volunteer, team, period_start, period_end, signups, today)
    token = uuid.uuid4()
    url = verify_url(token)
    stem = f"certificates/{team.pk}/{token}"
    for _attempt in range(5):
        number = _next_number(team, today.year)
        frozen = {**content, "number": number, "verify_url": url}
        pdf = store_derivative(f"{stem}.pdf", render_pdf(frozen, number, url), sync=True)
        docx = store_derivative(f"{stem}.docx", render_docx(frozen, number, url), sync=True)
        try:
            with transaction.atomic():
                made = Certificate.objects.create(
                    number=number,
                    volunteer=volunteer,
                    team=team,
                    period_start=period_start,
                    period_end=period_end,
                    minutes=frozen["minutes"],
                    content=frozen,
                    verify_token=token,
                    issued_by=user,
                    issued_at=now,
                    pdf=pdf,
                    docx=docx,
                )
                record(
                    None, "volunteer.certificate_issue", obj=made, actor=user,
                    detail={"number": number, "volunteer": volunteer.number, "minutes": frozen["minutes"],
                            "activities": len(signups)},
                )  # fmt: skip
                return made
        except IntegrityError:
            continue  # another certificate of the team took the number at once: the next, files again
    raise Refused("busy", _("出具证明的人较多，请稍后重试"))


def check_view(certificate: Certificate) -> dict[str, Any]:
    """What the public check page shows: never the phone, the ID digits or the activities' details."""
    content = certificate.content
    return {
        "number": certificate.number,
        "team": content.get("team", {}).get("name", certificate.team.name),
        "issuer": content.get("issuer", ""),
        "period_start": certificate.period_start,
        "period_end": certificate.period_end,
        "hours": hours_text(certificate.minutes),
        "minutes": certificate.minutes,
        "activities": len(content.get("activities", [])),
        "name": masked_name(certificate.volunteer),
        "issued_at": certificate.issued_at,
    }
