"""问卷调查: questionnaires (versioned, frozen once fielded), waves with their sample plan (strata and quota
cells), the responses they collect, and coaching visits kept apart from measurement (docs/surveys.md)."""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def _office_lineage(user: User) -> list[int]:
    if not user.is_authenticated or user.unit_id is None or user.unit is None:
        return []
    return list(user.unit.lineage_ids)


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    SCALE = "scale", _("满意度量表")
    NUMBER = "number", _("数字")
    TEXT = "text", _("文本")


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE)


class Measure(models.TextChoices):
    AWARENESS = "awareness", _("知晓率")
    SUPPORT = "support", _("支持率")
    PARTICIPATION = "participation", _("参与率")
    SATISFACTION = "satisfaction", _("满意度")


class AgeBand(models.TextChoices):
    A18 = "18-29", _("18–29 岁")
    A30 = "30-39", _("30–39 岁")
    A40 = "40-49", _("40–49 岁")
    A50 = "50-59", _("50–59 岁")
    A60 = "60-65", _("60–65 岁")


class Sex(models.TextChoices):
    MALE = "m", _("男")
    FEMALE = "f", _("女")


class QuestionnaireState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FROZEN = "frozen", _("已定稿")


class QuestionnaireQuerySet(models.QuerySet["Questionnaire"]):
    def visible_to(self, user: User) -> QuestionnaireQuerySet:
        """Questionnaires of an office in the user's lineage (a street sees its district's questionnaires)."""
        return self.filter(owner_unit_id__in=_office_lineage(user))


class Questionnaire(models.Model):
    """问卷: one version of a questionnaire; frozen when a wave fields it, changed only as a new version."""

    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="questionnaires"
    )
    code = models.CharField(_("问卷编号"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    title = models.CharField(_("问卷名称"), max_length=200)
    intro = models.TextField(_("开场说明"), blank=True)
    standard = models.ForeignKey(
        "standards.Standard",
        verbose_name=_("对应测评体系版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=QuestionnaireState.choices, default=QuestionnaireState.DRAFT
    )
    frozen_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    # The questionnaire as clients render it, written once when it is frozen (services.definition()).
    compiled = models.JSONField(_("问卷定义"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects: ClassVar[QuestionnaireQuerySet] = QuestionnaireQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_unit", "code", "version"], name="surveys_questionnaire_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.code} v{self.version}）"

    @property
    def is_frozen(self) -> bool:
        return self.state == QuestionnaireState.FROZEN


class Section(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="sections"
    )
    code = models.CharField(_("部分编号"), max_length=40)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("部分标题"), max_length=200)
    relevant = models.CharField(_("显示条件"), max_length=500, blank=True)
    relevant_ast = models.JSONField(_("显示条件（解析）"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("问卷部分")
        verbose_name_plural = _("问卷部分")
        ordering = ["questionnaire", "position"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="surveys_section_code")]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(
        Section, verbose_name=_("部分"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    code = models.CharField(_("题目编号"), max_length=40)
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices)
    text = models.TextField(_("题目"))
    hint = models.CharField(_("提示"), max_length=300, blank=True)
    required = models.BooleanField(_("必答"), default=True)
    # [{"value": "a", "label": "知道", "score": 1}, …]; score (0–1, or null): what it counts in a rate.
    choices = models.JSONField(_("选项"), default=list, blank=True)
    min_value = models.DecimalField(_("最小值"), max_digits=12, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("最大值"), max_digits=12, decimal_places=2, null=True, blank=True)
    relevant = models.CharField(_("显示条件"), max_length=500, blank=True)
    relevant_ast = models.JSONField(_("显示条件（解析）"), null=True, blank=True, editable=False)
    measure = models.CharField(_("计入指标率"), max_length=16, choices=Measure.choices, blank=True)
    indicator_code = models.CharField(_("对应测评标准编号"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="surveys_question_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"


class PopulationQuerySet(models.QuerySet["PopulationFigure"]):
    def visible_to(self, user: User) -> PopulationQuerySet:
        unit = user.unit if user.is_authenticated else None
        if unit is None:
            return self.none()
        return self.filter(unit__path__startswith=unit.path)


class PopulationFigure(models.Model):
    """常住人口: residents aged 18–65 of a unit in one age band and sex, entered or imported."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    age_band = models.CharField(_("年龄段"), max_length=8, choices=AgeBand.choices)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    count = models.PositiveIntegerField(_("人数"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects: ClassVar[PopulationQuerySet] = PopulationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("人口数")
        verbose_name_plural = _("人口数")
        constraints = [
            models.UniqueConstraint(fields=["unit", "age_band", "sex"], name="surveys_population_cell")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.age_band} {self.sex}: {self.count}"


class WaveState(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    FIELDING = "fielding", _("调查中")
    CLOSED = "closed", _("已结束")
    PUBLISHED = "published", _("已发布")


class Mode(models.TextChoices):
    INTERVIEWER = "interviewer", _("入户/街访")
    SELF = "self", _("自填（扫码）")
    PHONE = "phone", _("电话访问")


class WaveQuerySet(models.QuerySet["Wave"]):
    def visible_to(self, user: User) -> WaveQuerySet:
        """Waves run by an office in the user's lineage; results are then cut to the user's subtree."""
        return self.filter(owner_unit_id__in=_office_lineage(user))


class Wave(models.Model):
    """调查轮次: one fielding of a frozen questionnaire with a sample plan; published results are frozen."""

    name = models.CharField(_("调查轮次"), max_length=100)
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("问卷"), on_delete=models.PROTECT, related_name="waves"
    )
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    state = models.CharField(_("状态"), max_length=16, choices=WaveState.choices, default=WaveState.DRAFT)
    modes = models.JSONField(_("调查方式"), default=list)
    # Quality control (docs/surveys.md, "Quality control").
    min_seconds = models.PositiveIntegerField(_("最短用时（秒）"), default=120)
    max_distance_m = models.PositiveIntegerField(_("位置容差（米）"), default=300)
    straightline_min = models.PositiveSmallIntegerField(_("连续同答判定题数"), default=8)
    callback_percent = models.PositiveSmallIntegerField(_("回访抽取比例（%）"), default=10)
    coaching_days = models.PositiveSmallIntegerField(_("应知应会排除期（天）"), default=30)
    opened_at = models.DateTimeField(_("开始调查时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束调查时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # The published results (results.snapshot()): never changed once written.
    results = models.JSONField(_("发布结果"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects: ClassVar[WaveQuerySet] = WaveQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("调查轮次")
        verbose_name_plural = _("调查轮次")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_fielding(self) -> bool:
        return self.state == WaveState.FIELDING


class StaffRole(models.TextChoices):
    INTERVIEWER = "interviewer", _("调查员")
    SUPERVISOR = "supervisor", _("督导")


class WaveStaff(models.Model):
    """The survey's own staff: the only people besides the office who see respondents' answers."""

    wave = models.ForeignKey(Wave, verbose_name=_("调查轮次"), on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="survey_roles",
    )
    role = models.CharField(_("职责"), max_length=16, choices=StaffRole.choices)

    class Meta:
        verbose_name = _("调查人员")
        verbose_name_plural = _("调查人员")
        constraints = [models.UniqueConstraint(fields=["wave", "user"], name="surveys_staff_once")]

    def __str__(self) -> str:
        return f"{self.wave_id} {self.user_id} {self.role}"


def new_stratum_token() -> str:
    return secrets.token_urlsafe(12)


class Stratum(models.Model):
    """样本层: a street or community of the wave with its target count; its public link carries ``token``."""

    wave = models.ForeignKey(
        Wave, verbose_name=_("调查轮次"), on_delete=models.CASCADE, related_name="strata"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField(_("人口数"), default=0)
    target = models.PositiveIntegerField(_("目标样本量"))
    filled = models.PositiveIntegerField(_("已完成"), default=0)
    token = models.CharField(_("公开链接码"), max_length=24, unique=True, default=new_stratum_token)

    class Meta:
        verbose_name = _("样本层")
        verbose_name_plural = _("样本层")
        ordering = ["wave", "unit__sort_order", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["wave", "unit"], name="surveys_stratum_unit")]

    def __str__(self) -> str:
        return f"{self.wave_id}/{self.unit_id}"

    @property
    def is_full(self) -> bool:
        return self.filled >= self.target


class QuotaCell(models.Model):
    """配额格: age band × sex within a stratum; closes when ``filled`` reaches ``target``."""

    stratum = models.ForeignKey(
        Stratum, verbose_name=_("样本层"), on_delete=models.CASCADE, related_name="cells"
    )
    age_band = models.CharField(_("年龄段"), max_length=8, choices=AgeBand.choices)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    population = models.PositiveIntegerField(_("人口数"), default=0)
    target = models.PositiveIntegerField(_("配额"))
    filled = models.PositiveIntegerField(_("已完成"), default=0)

    class Meta:
        verbose_name = _("配额格")
        verbose_name_plural = _("配额格")
        ordering = ["stratum", "age_band", "sex"]
        constraints = [
            models.UniqueConstraint(fields=["stratum", "age_band", "sex"], name="surveys_cell_once")
        ]

    def __str__(self) -> str:
        return f"{self.stratum_id} {self.age_band} {self.sex}"

    @property
    def is_full(self) -> bool:
        return self.filled >= self.target


class ResponseStatus(models.TextChoices):
    ACCEPTED = "accepted", _("有效")
    FLAGGED = "flagged", _("待审核")
    REJECTED = "rejected", _("已作废")
    EXCLUDED = "excluded", _("应知应会排除")


# Statuses that hold a quota place; only accepted responses count in results.
COUNTED_STATUSES = (ResponseStatus.ACCEPTED, ResponseStatus.FLAGGED)


class Callback(models.TextChoices):
    NONE = "", _("未抽中")
    PICKED = "picked", _("待回访")
    CONFIRMED = "confirmed", _("回访属实")
    FAILED = "failed", _("回访不符")


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible_to(self, user: User) -> ResponseQuerySet:
        """Respondents' answers: the survey's own staff (wave staff) and the coordinators of the office
        that runs the wave; nobody else, whatever the unit."""
        if not user.is_authenticated:
            return self.none()
        from chuangwen.accounts.models import Role

        staff = Q(wave__staff__user=user)
        if user.role == Role.COORDINATOR and user.unit_id is not None:
            staff |= Q(wave__owner_unit_id=user.unit_id)
        return self.filter(staff).distinct()


class Response(models.Model):
    """One interview or self-completed questionnaire; the client's ``client_id`` makes resends harmless."""

    wave = models.ForeignKey(
        Wave, verbose_name=_("调查轮次"), on_delete=models.CASCADE, related_name="responses"
    )
    client_id = models.UUIDField(_("客户端编号"), default=uuid.uuid4)
    stratum = models.ForeignKey(Stratum, verbose_name=_("样本层"), on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(QuotaCell, verbose_name=_("配额格"), on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(_("调查方式"), max_length=16, choices=Mode.choices)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调查员"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # A keyed hash of the respondent's phone number or device key; never the number itself.
    respondent_key = models.CharField(_("受访者标识（哈希）"), max_length=64, blank=True)
    answers = models.JSONField(_("答案"), default=dict)
    # Per-question seconds and the device's clock: what quality control reads.
    paradata = models.JSONField(_("过程数据"), default=dict, blank=True)
    fingerprint = models.CharField(_("答案指纹"), max_length=64, db_index=True)
    started_at = models.DateTimeField(_("开始时间"))
    submitted_at = models.DateTimeField(_("完成时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    duration_seconds = models.PositiveIntegerField(_("用时（秒）"))
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ResponseStatus.choices)
    flags = models.JSONField(_("质控疑点"), default=list, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    callback = models.CharField(_("回访"), max_length=16, choices=Callback.choices, blank=True, default="")
    callback_note = models.CharField(_("回访记录"), max_length=500, blank=True)

    objects: ClassVar[ResponseQuerySet] = ResponseQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "client_id"], name="surveys_response_client"),
            models.UniqueConstraint(
                fields=["wave", "respondent_key"],
                condition=~Q(respondent_key=""),
                name="surveys_response_respondent",
            ),
        ]
        indexes = [models.Index(fields=["wave", "status"], name="surveys_resp_wave_status")]

    def __str__(self) -> str:
        return str(self.client_id)


class CoachingQuerySet(models.QuerySet["CoachingVisit"]):
    def visible_to(self, user: User) -> CoachingQuerySet:
        unit = user.unit if user.is_authenticated else None
        if unit is None:
            return self.none()
        return self.filter(unit__path__startswith=unit.path)


class CoachingVisit(models.Model):
    """应知应会 入户宣传: publicity, never measurement; the household's key keeps it out of the sample."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    respondent_key = models.CharField(_("居民标识（哈希）"), max_length=64, db_index=True)
    visited_on = models.DateField(_("宣传日期"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects: ClassVar[CoachingQuerySet] = CoachingQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("应知应会宣传")
        verbose_name_plural = _("应知应会宣传")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.visited_on}"
