"""网上申报 in the demo district: the year's period, its 任务分解, the materials units filed and their review.

Everything goes through the real services (``create_period``, ``assign_task``, ``upload``, ``act``,
``replace``) with the clock moved by ``history.at``, so every event, audit entry and board cell carries the
moment it would have had. It runs before the year's rounds (``activity.build_activity``): the monthly
rankings then count the 网上申报 history as it stood at their date. The files are real but small.
"""

from __future__ import annotations

import html
import io
import random
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import BinaryIO

from django.utils import timezone
from PIL import Image, ImageDraw

from chuangwen.accounts.models import Role, User
from chuangwen.core.pdf import CJK_FONT_FAMILY, html_to_pdf
from chuangwen.demo.history import at, on
from chuangwen.materials import services
from chuangwen.materials.models import Material, Period, Task
from chuangwen.materials.tasksplit import assign_task, online_indicators
from chuangwen.org.models import Unit, UnitKind
from chuangwen.standards.models import Indicator, MaterialType, Standard
from chuangwen.workdays.services import is_workday, next_workday

PERIOD_BACK_DAYS = 304  # the period was opened about ten months before "now"
REFERENCE_AHEAD_DAYS = 75  # the coming test
PAST_DUE_SHARE = 0.4  # tasks whose due date has already passed; the others fall due in the coming weeks
AHEAD_DAYS = (3, 60)
RECENT_DAYS = 20  # work still under way (awaiting, returned, drafts) began in the last weeks
MAX_PDFS = 20  # WeasyPrint is the slow part of the step
MAX_REUSED = 3  # materials filing again a file the unit filed for another indicator (stored once)
MAX_FLAGGED = 3  # activity dates before the evidence window (the page flags them)
MAX_WITHDRAWN = 2

# (keyword, department suffix): the first keyword in the content's name (then the project's) wins.
DEPARTMENT_KEYWORDS = (
    ("理论", "委宣传部"), ("爱国", "委宣传部"), ("公益广告", "委宣传部"), ("网络", "委宣传部"),
    ("核心价值观", "委宣传部"), ("未成年人", "教育局"), ("学校", "教育局"), ("道德模范", "文明办"),
    ("身边好人", "文明办"), ("家庭", "民政局"), ("社会救助", "民政局"), ("公共安全", "消防救援大队"),
    ("政务", "行政审批服务局"), ("信用", "市场监督管理局"), ("诚信", "市场监督管理局"),
    ("消费", "市场监督管理局"), ("食品", "市场监督管理局"), ("文化市场", "文化市场综合行政执法队"),
    ("文化", "委宣传部"), ("市容", "城市管理局"), ("环境卫生", "环境卫生管理中心"),
    ("公共卫生", "环境卫生管理中心"), ("交通", "公安分局交警大队"), ("市政", "市政设施管理中心"),
    ("建筑工地", "住房和城乡建设局"), ("城市环境", "城市管理局"),
)  # fmt: skip
# Work the streets do in their communities: a street leads it.
STREET_KEYWORDS = ("志愿", "文明实践", "学雷锋", "关爱", "社区", "群众参与")

# What happens to one unit's cell of a task: the steps after the upload.
STEPS: dict[str, tuple[str, ...]] = {
    "passed": ("submit", "approve", "pass"),
    "resubmitted": ("submit", "approve", "return_office", "replace", "resubmit", "approve", "pass"),
    "awaiting_head": ("submit",),
    "awaiting_office": ("submit", "approve"),
    "returned": ("submit", "approve", "return_office"),
    "returned_by_head": ("submit", "return_head"),
    "draft": (),
    "empty": (),
}
SCENARIOS = tuple(STEPS)
WEIGHTS_PAST = (72, 6, 3, 4, 4, 2, 2, 7)  # of SCENARIOS, for a task already due
WEIGHTS_AHEAD = (30, 4, 12, 12, 6, 4, 17, 15)
# A cell's further materials: those of a returned cell went through, or wait for the unit head.
EXTRA_SCENARIO = {"resubmitted": "passed", "returned": "passed", "returned_by_head": "awaiting_head"}
RETURN_COMMENTS: dict[str, tuple[str, ...]] = {
    MaterialType.DOCUMENT: ("文件未盖章，请上传加盖公章的扫描件", "上传的是征求意见稿，请上传正式印发的文件"),
    MaterialType.ACCOUNT: ("情况说明过于简单，请补充活动时间、地点和参加人数", "缺少活动照片，请补充"),
    MaterialType.PHOTO: ("缺少活动照片，请补充不少于 2 张现场照片", "照片未体现活动主题，请重新拍摄"),
    MaterialType.TABLE: ("统计表缺少数据来源和填报日期", "统计表未盖章，请上传加盖公章的扫描件"),
}
LATE_COMMENT = "材料超出时限：活动日期早于材料时限起始日，请补充时限内的材料"
DOCUMENT_TITLES = ("{unit}{topic}工作方案", "{unit}关于加强{topic}工作的通知", "{unit}{topic}工作制度")
NOTICE = (
    "各科室、各社区：",
    "为深入推进全国文明城市创建工作，现就有关事项通知如下。",
    "一、提高思想认识，明确责任分工，确保各项任务按时完成。",
    "二、加强日常检查，建立工作台账，及时整改发现的问题。",
)


@dataclass(frozen=True)
class Paper:
    """What a clerk files: a title and a file (none for a 情况说明 written in the page)."""

    topic: str
    title: str
    name: str = ""
    data: bytes = b""

    def files(self) -> list[tuple[str, BinaryIO]]:
        return [(self.name, io.BytesIO(self.data))] if self.data else []


@dataclass
class Desk:
    """The step's state: the generator, the clock's end, the people, and the quotas still open."""

    rng: random.Random
    now: datetime
    coordinator: User
    clerks: dict[int, tuple[User, User]]  # unit id → (handler, unit head)
    pdfs: int = MAX_PDFS
    reused: int = MAX_REUSED
    flagged: int = MAX_FLAGGED
    withdrawn: int = MAX_WITHDRAWN
    last_file: dict[int, tuple[str, int, Paper]] = field(default_factory=dict)  # unit → (kind, task, paper)

    def client_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128))


def build_materials(seed: int, now: datetime) -> Period | None:
    """The district's 网上申报 of the year up to ``now``; the same seed and "now" give the same data."""
    rng = random.Random(f"chuangwen-demo:{seed}:materials")
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("path").first()
    standard = Standard.objects.filter(is_active=True).first()
    coordinator = User.objects.filter(username="demo_coordinator").first()
    if district is None or standard is None or coordinator is None:
        return None
    today = timezone.localdate(now)
    created = on(today - timedelta(days=PERIOD_BACK_DAYS), 10)
    reference = today + timedelta(days=REFERENCE_AHEAD_DAYS)
    middle = created.date() + (reference - created.date()) / 2  # named after the year most work falls in
    with at(created):
        period = services.create_period(
            name=f"{middle.year}年度网上申报", standard=standard, owner_unit=district,
            reference_date=reference, actor=coordinator,
        )  # fmt: skip
    tasks = _split_tasks(period, district, coordinator, rng, today)
    cells = [(t, u) for t in tasks for u in (t.lead_unit, *sorted(t.supporting_units.all(), key=_code))]
    scenarios = [
        rng.choices(SCENARIOS, WEIGHTS_PAST if t.due_date < today else WEIGHTS_AHEAD)[0] for t, _u in cells
    ]
    for missing in [s for s in SCENARIOS if s not in scenarios]:  # every state shows, whatever the seed
        scenarios[rng.choice([i for i, s in enumerate(scenarios) if scenarios.count(s) > 1])] = missing
    desk = Desk(rng, now, coordinator, _clerks(district))
    for (task, unit), scenario in zip(cells, scenarios, strict=True):
        _play_cell(desk, task, unit, scenario)
    return period


def _code(unit: Unit) -> str:
    return unit.code


def _clerks(district: Unit) -> dict[int, tuple[User, User]]:
    people: dict[int, dict[str, User]] = {}
    users = User.objects.filter(
        role__in=(Role.HANDLER, Role.UNIT_HEAD), unit__parent=district, is_active=True
    )
    for user in users.order_by("username"):
        people.setdefault(user.unit_id or 0, {}).setdefault(user.role, user)
    return {k: (v[Role.HANDLER], v[Role.UNIT_HEAD]) for k, v in people.items() if len(v) == 2}


# --- 任务分解 ---------------------------------------------------------------------------------------------


def _split_tasks(
    period: Period, district: Unit, coordinator: User, rng: random.Random, today: date
) -> list[Task]:
    """One task per online indicator, assigned the day after the period opened."""
    departments = list(Unit.objects.filter(parent=district, kind=UnitKind.DEPARTMENT).order_by("code"))
    streets = list(Unit.objects.filter(parent=district, kind=UnitKind.STREET).order_by("code"))
    ids = []
    with at(timezone.localtime(period.created_at) + timedelta(days=1)):
        for number, indicator in enumerate(online_indicators(period).select_related("content__project")):
            lead = _lead_unit(indicator, departments, streets, number)
            others = [u for u in (*streets, *departments) if u.pk != lead.pk]
            supporting = sorted(rng.sample(others, rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]), key=_code)
            due = _due_date(period, indicator, rng, today)
            task = assign_task(
                period, indicator, lead_unit=lead, supporting_units=supporting, due_date=due,
                actor=coordinator,
            )  # fmt: skip
            ids.append(task.pk)
    found = Task.objects.filter(pk__in=ids).prefetch_related("supporting_units")
    found = found.select_related("period__owner_unit", "indicator__content", "lead_unit")
    return sorted(found, key=lambda t: ids.index(t.pk))


def _lead_unit(indicator: Indicator, departments: list[Unit], streets: list[Unit], number: int) -> Unit:
    """The department a keyword of the content names, a street for community work, then the department of
    the project's keyword; round-robin over the departments when nothing matches."""
    content, project = indicator.content.name, indicator.content.project.name
    found = _department(content, departments)
    if found is None and any(k in content or k in indicator.text for k in STREET_KEYWORDS):
        return streets[number % len(streets)]
    return found or _department(project, departments) or departments[number % len(departments)]


def _department(name: str, departments: list[Unit]) -> Unit | None:
    suffixes = [suffix for keyword, suffix in DEPARTMENT_KEYWORDS if keyword in name]
    return next((d for s in suffixes for d in departments if d.name.endswith(s)), None)


def window_start(period: Period, indicator: Indicator) -> date:
    return services.months_before(period.reference_date, indicator.window_months) + timedelta(days=1)


def _due_date(period: Period, indicator: Indicator, rng: random.Random, today: date) -> date:
    """A working day: some already past (late enough for the evidence window), the rest in coming weeks."""
    opened = timezone.localdate(period.created_at)
    first = max(opened + timedelta(days=30), window_start(period, indicator) + timedelta(days=21))
    if rng.random() < PAST_DUE_SHARE and first < today - timedelta(days=5):
        return next_workday(first + timedelta(days=rng.randint(0, (today - first).days - 5)))
    return next_workday(today + timedelta(days=rng.randint(*AHEAD_DAYS)))


# --- one unit's cell ------------------------------------------------------------------------------------


def _play_cell(desk: Desk, task: Task, unit: Unit, scenario: str) -> None:
    """One to three materials through the scenario's steps; a cell passed on a task already due was done by
    its due date, and work still under way began recently."""
    people = desk.clerks.get(unit.pk)
    if scenario == "empty" or people is None:
        return
    rng = desk.rng
    in_time = scenario == "passed" and task.due_date < timezone.localdate(desk.now)
    last = on(task.due_date, 17) if in_time else desk.now - timedelta(hours=1)
    assigned = timezone.localdate(task.period.created_at) + timedelta(days=1)
    first = max(assigned, window_start(task.period, task.indicator)) + timedelta(days=3)
    if scenario not in ("passed", "resubmitted"):
        first = max(first, last.date() - timedelta(days=RECENT_DAYS))
    for index in range(1 + (rng.random() < 0.45) + (rng.random() < 0.1)):
        steps = STEPS[scenario if index == 0 else EXTRA_SCENARIO.get(scenario, scenario)]
        late = index == 0 and scenario in ("returned", "awaiting_office") and desk.flagged > 0
        desk.flagged -= late
        moments = _moments(rng, first, last, 1 + len(steps))
        material = _upload(desk, task, people[0], moments[0], late=late)
        for action, moment in zip(steps, moments[1:], strict=True):
            with at(moment):
                _step(desk, material, action, people, late=late)
    if scenario in ("passed", "draft") and desk.withdrawn > 0:
        desk.withdrawn -= 1  # a duplicate uploaded by mistake and withdrawn at once
        moments = _moments(rng, first, desk.now - timedelta(hours=1), 2)
        material = _upload(desk, task, people[0], moments[0], late=False)
        with at(moments[1]):
            services.act(material, "withdraw", people[0])


def _moments(rng: random.Random, first: date, last: datetime, count: int) -> list[datetime]:
    """``count`` office-hour moments in order on working days, a few days apart, all before ``last``."""
    room = max(0, (timezone.localdate(last) - first).days - 2 * count)
    day = next_workday(first + timedelta(days=rng.randint(0, room)), include_self=True)
    moments: list[datetime] = []
    for _step in range(count):
        moment = on(day, rng.randint(9, 16), rng.choice((0, 10, 20, 30, 40, 50)))
        moments.append(max(moment, moments[-1] + timedelta(minutes=25)) if moments else moment)
        day = next_workday(day) if rng.random() < 0.6 else day
    if moments[-1] >= last:  # no room left: the whole chain on the last working day before ``last``
        day = timezone.localdate(last) - timedelta(days=1)
        while not is_workday(day):
            day -= timedelta(days=1)
        moments = [on(day, 9) + timedelta(minutes=25 * n) for n in range(count)]
    return moments


def _step(desk: Desk, material: Material, action: str, people: tuple[User, User], *, late: bool) -> None:
    clerk, head = people
    if action == "replace":  # a corrected version of the same kind, dated as before
        paper = _paper(desk, material.task, material.kind, material.unit, timezone.now(), fresh=True)
        fields = _fields(material.kind, paper, material.activity_date, material.unit)
        services.replace(material, clerk, fields, paper.files())
    elif action in ("return_office", "return_head"):
        comment = LATE_COMMENT if late else desk.rng.choice(RETURN_COMMENTS[material.kind])
        reviewer = desk.coordinator if action == "return_office" else head
        services.act(material, "return", reviewer, comment=comment)
    else:
        services.act(material, action, {"approve": head, "pass": desk.coordinator}.get(action, clerk))


def _upload(desk: Desk, task: Task, clerk: User, moment: datetime, *, late: bool) -> Material:
    rng = desk.rng
    kind = rng.choice([k for k in task.indicator.material_types if k in MaterialType.values] or ["document"])
    day, start = timezone.localdate(moment), window_start(task.period, task.indicator)
    if late:  # last year's activity filed again: before the window, and flagged on the page
        activity = start - timedelta(days=rng.randint(15, 60))
    else:
        activity = day - timedelta(days=rng.randint(0, max(0, min(30, (day - start).days))))
    assert clerk.unit is not None
    with at(moment):
        paper = _paper(desk, task, kind, clerk.unit, moment)
        fields = _fields(kind, paper, activity, clerk.unit)
        return services.upload(task, clerk, fields, client_ids=[desk.client_id()], files=paper.files())[0]


def _fields(kind: str, paper: Paper, activity: date, unit: Unit) -> services.MaterialFields:
    body = ""
    if kind == MaterialType.ACCOUNT:
        body = (
            f"{activity:%Y年%m月%d日}，{unit.name}组织开展{paper.topic}工作。活动由单位主要负责人部署，"
            "各科室和社区共同参与，参加人数约 60 人。活动结束后及时总结，"
            "收集整理了签到表、现场照片和宣传报道，相关台账已归档备查。"
        )
    return services.clean_fields(
        {"kind": kind, "title": paper.title, "activity_date": activity, "body": body}
    )


# --- the files --------------------------------------------------------------------------------------------


def _paper(desk: Desk, task: Task, kind: str, unit: Unit, moment: datetime, *, fresh: bool = False) -> Paper:
    """A new material's title and file; now and then the unit's last file, filed for a second indicator."""
    rng = desk.rng
    topic = task.indicator.content.name
    earlier = desk.last_file.get(unit.pk)
    if earlier and not fresh and earlier[0] == kind and earlier[1] != task.pk and desk.reused > 0:
        if rng.random() < 0.5:
            desk.reused -= 1
            return earlier[2]
    local = timezone.localtime(moment)
    if kind == MaterialType.ACCOUNT:
        return Paper(topic, f"关于{topic}工作开展情况的说明")
    if kind == MaterialType.PHOTO:
        title, ext, data = f"{topic}活动现场照片（{local:%m%d}）", "jpg", jpeg_picture(rng)
    elif kind == MaterialType.TABLE:
        title, ext, data = f"{topic}工作统计表", "xlsx", xlsx_table(rng, f"{unit.name}{topic}", local)
    else:  # a dated document: the same title twice still gives two files
        title = rng.choice(DOCUMENT_TITLES).format(unit=unit.name, topic=topic)
        text = [title, *NOTICE, unit.name, f"{local.year}年{local.month}月{local.day}日"]
        ext = "pdf" if desk.pdfs > 0 and rng.random() < 0.5 else "docx"
        desk.pdfs -= ext == "pdf"
        data = pdf_document(text) if ext == "pdf" else docx_document(text, local)
    paper = Paper(topic, title, f"{title}.{ext}", data)
    desk.last_file[unit.pk] = (kind, task.pk, paper)
    return paper


def jpeg_picture(rng: random.Random) -> bytes:
    """640×480: a coloured background and a few shapes (small, and still a real JPEG)."""
    image = Image.new("RGB", (640, 480), (rng.randint(90, 230), rng.randint(90, 230), rng.randint(90, 230)))
    draw = ImageDraw.Draw(image)
    for _shape in range(rng.randint(3, 6)):
        x, y = rng.randint(0, 560), rng.randint(0, 400)
        box = (x, y, x + rng.randint(40, 200), y + rng.randint(30, 150))
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def xlsx_table(rng: random.Random, title: str, moment: datetime) -> bytes:
    """A few rows of figures. openpyxl writes the sheet through a temporary file whose time would make each
    build's bytes differ, so the parts are zipped again with ``moment``."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "统计表"
    sheet.append([f"{title}工作统计表"])
    sheet.append(["月份", "活动场次", "参加人数", "覆盖社区（个）"])
    for month in range(1, rng.randint(4, 9)):
        sheet.append([f"{month}月", rng.randint(1, 12), rng.randint(20, 400), rng.randint(1, 8)])
    out = io.BytesIO()
    workbook.save(out)
    with zipfile.ZipFile(out) as saved:
        return _zipped({name: saved.read(name) for name in saved.namelist()}, moment)


def docx_document(paragraphs: Sequence[str], moment: datetime) -> bytes:
    """A minimal .docx written by hand: content types, one relationship and the document part."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    ooxml = "http://schemas.openxmlformats.org"
    runs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r></w:p>'
        for text in paragraphs
    )
    parts = {
        "[Content_Types].xml": f'{head}<Types xmlns="{ooxml}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>",
        "_rels/.rels": f'{head}<Relationships xmlns="{ooxml}/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{ooxml}/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>',
        "word/document.xml": f'{head}<w:document xmlns:w="{ooxml}/wordprocessingml/2006/main">'
        f"<w:body>{runs}</w:body></w:document>",
    }
    return _zipped({name: text.encode() for name, text in parts.items()}, moment)


def _zipped(members: dict[str, bytes], moment: datetime) -> bytes:
    """The members stamped with ``moment``: the same content gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, moment.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def pdf_document(paragraphs: Sequence[str]) -> bytes:
    title, *rest = (html.escape(p) for p in paragraphs)
    style = f"font-family: '{CJK_FONT_FAMILY}'; font-size: 14pt"
    body = "".join(f"<p>{p}</p>" for p in rest)
    return html_to_pdf(
        f'<html><body style="{style}"><h1 style="text-align: center">{title}</h1>{body}</body></html>'
    )
