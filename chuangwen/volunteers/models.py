"""志愿服务 and 新时代文明实践: practice bodies (centre, institutes, stations), teams, volunteers,
activities with sign-up and check-in, confirmed service hours, certificates, and residents' service
requests (点单 → 评单).

Scope: everything hangs from a unit of the organisation tree (a body's unit, a team's unit, a volunteer's home
community, an activity's team's unit, a request's community), and each model has one ``visible_to``.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def _token() -> str:
    return secrets.token_hex(16)


class BodyKind(models.TextChoices):
    CENTRE = "centre", _("新时代文明实践中心")
    INSTITUTE = "institute", _("新时代文明实践所")
    STATION = "station", _("新时代文明实践站")


_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """A queryset scoped through one unit field: ``visible_to`` keeps the rows of the user's unit and below.
    Each model names its field; this is the one scoping function of each."""

    unit_field: ClassVar[str] = "unit"

    def visible_to(self, user: User) -> Self:
        unit = user.unit if user.is_authenticated else None
        if unit is None:
            return self.none()
        return self.filter(**{f"{self.unit_field}__path__startswith": unit.path})


class BodyQuerySet(ScopedQuerySet["PracticeBody"]):
    unit_field = "unit"


class PracticeBody(models.Model):
    """A 文明实践 centre (district), institute (street) or station (community), one per unit."""

    unit = models.OneToOneField(
        "org.Unit", verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="practice_body"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=BodyKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    managers = models.ManyToManyField("accounts.User", verbose_name=_("管理员"), blank=True, related_name="+")
    active = models.BooleanField(_("启用"), default=True)

    objects: ClassVar[BodyQuerySet] = BodyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("文明实践阵地")
        verbose_name_plural = _("文明实践阵地")
        ordering = ["unit__path"]

    def __str__(self) -> str:
        return self.name


class TeamKind(models.TextChoices):
    UNIT = "unit", _("单位志愿服务队")
    PUBLIC = "public", _("社会志愿服务队")
    GROUP = "group", _("未登记志愿者群体")


class TeamQuerySet(ScopedQuerySet["Team"]):
    unit_field = "unit"


class Team(models.Model):
    code = models.CharField(_("队伍编号"), max_length=32, unique=True)
    name = models.CharField(_("队伍名称"), max_length=100)
    kind = models.CharField(_("队伍类型"), max_length=16, choices=TeamKind.choices, default=TeamKind.UNIT)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.ForeignKey(
        PracticeBody,
        verbose_name=_("所属文明实践阵地"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
    )
    managers = models.ManyToManyField("accounts.User", verbose_name=_("管理员"), blank=True, related_name="+")
    description = models.TextField(_("简介"), blank=True, max_length=2000)
    services = models.JSONField(_("服务类别"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects: ClassVar[TeamQuerySet] = TeamQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["unit__path", "code"]

    def __str__(self) -> str:
        return self.name


class VolunteerQuerySet(ScopedQuerySet["Volunteer"]):
    unit_field = "unit"


class Volunteer(models.Model):
    """A registered volunteer. The ID number is never stored: only a keyed hash (uniqueness), its last four
    digits (display), the birth year (age) and the sex it encodes. A volunteer who leaves keeps the record of
    hours under the number; name, phone and ID hash are removed (``left_at``)."""

    number = models.CharField(_("志愿者编号"), max_length=32, unique=True)
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    id_hash = models.CharField(_("身份证号摘要"), max_length=64, null=True, blank=True, unique=True)
    id_last4 = models.CharField(_("身份证号后四位"), max_length=4, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="+"
    )
    skills = models.JSONField(_("技能特长"), default=list, blank=True)
    availability = models.JSONField(_("可服务时间"), default=list, blank=True)
    registered_at = models.DateTimeField(_("注册时间"))
    left_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    # Confirmed service minutes, kept in step by ``services`` whenever hours are confirmed or corrected.
    confirmed_minutes = models.PositiveIntegerField(_("累计服务时长（分钟）"), default=0)

    objects: ClassVar[VolunteerQuerySet] = VolunteerQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["number"]
        indexes = [models.Index(fields=["unit", "registered_at"], name="volunteer_unit_registered")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class MemberRole(models.TextChoices):
    MEMBER = "member", _("队员")
    LEADER = "leader", _("队长")


class Membership(models.Model):
    team = models.ForeignKey(
        Team, verbose_name=_("队伍"), on_delete=models.CASCADE, related_name="memberships"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(_("加入时间"))

    class Meta:
        verbose_name = _("队伍成员")
        verbose_name_plural = _("队伍成员")
        constraints = [
            models.UniqueConstraint(fields=["team", "volunteer"], name="volunteer_membership_once")
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.volunteer}"


class ActivityState(models.TextChoices):
    PUBLISHED = "published", _("报名中")
    CANCELLED = "cancelled", _("已取消")
    FINISHED = "finished", _("已结项")


class ActivityQuerySet(ScopedQuerySet["Activity"]):
    unit_field = "team__unit"


class Activity(models.Model):
    team = models.ForeignKey(
        Team, verbose_name=_("组织队伍"), on_delete=models.PROTECT, related_name="activities"
    )
    body = models.ForeignKey(
        PracticeBody,
        verbose_name=_("文明实践阵地"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    title = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("活动内容"), blank=True, max_length=2000)
    category = models.CharField(_("服务类别"), max_length=32, blank=True)
    place = models.CharField(_("活动地点"), max_length=200)
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    radius_m = models.PositiveIntegerField(_("签到范围（米）"), default=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    places = models.PositiveIntegerField(_("招募人数"))
    skills = models.JSONField(_("所需技能"), default=list, blank=True)
    cancel_until = models.DateTimeField(_("可取消报名截止时间"))
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("关联点位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cases = models.ManyToManyField("cases.Case", verbose_name=_("关联案卷"), blank=True, related_name="+")
    state = models.CharField(
        _("状态"), max_length=16, choices=ActivityState.choices, default=ActivityState.PUBLISHED
    )
    # The key of the rotating check-in code; never shown, only codes derived from it.
    code_key = models.CharField(_("签到码密钥"), max_length=64, default=_token, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    objects: ClassVar[ActivityQuerySet] = ActivityQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["starts_at"], name="activity_starts")]

    def __str__(self) -> str:
        return self.title

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SignUpState(models.TextChoices):
    SIGNED = "signed", _("已报名")
    WAITING = "waiting", _("候补")
    CANCELLED = "cancelled", _("已取消")


class HoursState(models.TextChoices):
    NONE = "none", _("未签到")
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class SignUpQuerySet(ScopedQuerySet["SignUp"]):
    unit_field = "activity__team__unit"


class SignUp(models.Model):
    """A volunteer's place on an activity, the check-in and check-out, and the hours the organiser
    confirms."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="signups"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="signups"
    )
    state = models.CharField(
        _("报名状态"), max_length=16, choices=SignUpState.choices, default=SignUpState.SIGNED
    )
    created_at = models.DateTimeField(_("报名时间"))
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    signed_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    sign_in_client_id = models.UUIDField(_("签到请求编号"), null=True, blank=True, unique=True)
    sign_out_client_id = models.UUIDField(_("签退请求编号"), null=True, blank=True, unique=True)
    sign_in_distance_m = models.PositiveIntegerField(_("签到距离（米）"), null=True, blank=True)
    sign_out_distance_m = models.PositiveIntegerField(_("签退距离（米）"), null=True, blank=True)
    hours_state = models.CharField(
        _("时长状态"), max_length=16, choices=HoursState.choices, default=HoursState.NONE
    )
    # Minutes between sign-in and sign-out inside the activity's time; the organiser confirms or corrects.
    measured_minutes = models.PositiveIntegerField(_("实测时长（分钟）"), null=True, blank=True)
    confirmed_minutes = models.PositiveIntegerField(_("确认时长（分钟）"), null=True, blank=True)
    correction_reason = models.CharField(_("更正理由"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    objects: ClassVar[SignUpQuerySet] = SignUpQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        ordering = ["activity", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "volunteer"], name="volunteer_signup_once")
        ]
        indexes = [models.Index(fields=["volunteer", "hours_state"], name="signup_volunteer_hours")]

    def __str__(self) -> str:
        return f"{self.activity} · {self.volunteer}"


class CertificateQuerySet(ScopedQuerySet["Certificate"]):
    unit_field = "team__unit"


class Certificate(models.Model):
    """A numbered 志愿服务证明 issued by the team that recorded the hours; its content is frozen at issue."""

    number = models.CharField(_("证明编号"), max_length=40, unique=True)
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="certificates"
    )
    team = models.ForeignKey(Team, verbose_name=_("出具队伍"), on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("服务期间起"))
    period_end = models.DateField(_("服务期间止"))
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"))
    content = models.JSONField(_("证明内容"), default=dict)
    verify_token = models.UUIDField(_("核验码"), default=uuid.uuid4, unique=True, editable=False)
    issued_by = models.ForeignKey(
        "accounts.User", verbose_name=_("出具人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("出具时间"))
    pdf = models.CharField(_("PDF 文件"), max_length=255, blank=True)
    docx = models.CharField(_("Word 文件"), max_length=255, blank=True)

    objects: ClassVar[CertificateQuerySet] = CertificateQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    REJECTED = "rejected", _("不予受理")
    APPROVED = "approved", _("待派单")
    DISPATCHED = "dispatched", _("待接单")
    TAKEN = "taken", _("服务中")
    DONE = "done", _("待评价")
    RATED = "rated", _("已评价")
    CANCELLED = "cancelled", _("已撤销")


class RequestQuerySet(ScopedQuerySet["ServiceRequest"]):
    unit_field = "unit"


class ServiceRequest(models.Model):
    """点单: a resident's or a community's request for a service, reviewed by the station, dispatched to a
    team (派单), taken and done by the team (接单), rated by the requester (评单)."""

    code = models.CharField(_("需求编号"), max_length=32, unique=True)
    client_id = models.UUIDField(_("提交请求编号"), unique=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("服务类别"), max_length=32)
    description = models.TextField(_("需求内容"), max_length=1000)
    requester_name = models.CharField(_("联系人"), max_length=50)
    requester_phone = models.CharField(_("联系电话"), max_length=20)
    wanted_on = models.DateField(_("希望服务日期"), null=True, blank=True)
    # The requester follows the request with this token (an unguessable link), as citizens follow reports.
    access_token = models.CharField(_("查询令牌"), max_length=64, default=_token, unique=True, editable=False)
    submitted_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("代为提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=RequestState.choices, default=RequestState.SUBMITTED
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("服务队伍"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("服务活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(_("评价（1–5 星）"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("提交时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    version = models.PositiveIntegerField(_("版本号"), default=1)

    objects: ClassVar[RequestQuerySet] = RequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("服务需求")
        verbose_name_plural = _("服务需求")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code


class RequestEvent(models.Model):
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("服务需求"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=16)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("服务需求记录")
        verbose_name_plural = _("服务需求记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request} {self.action}"
