"""What a new office's templates start with: the sections of each kind in order, and wording blocks an office
edits (an opening paragraph, a lead sentence per section, the work requirements and a closing line)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from chuangwen.bulletins.models import BulletinKind as K
from chuangwen.bulletins.models import Section as S

SECTIONS: dict[str, tuple[str, ...]] = {
    K.INSPECTION: (S.OVERVIEW, S.RANKING, S.TYPICAL, S.DEADLINE, S.TALKS, S.REQUIREMENTS),
    K.LOOKBACK: (S.OVERVIEW, S.LOOKBACK, S.DEADLINE, S.TALKS, S.REQUIREMENTS),
    K.MONTHLY: (
        S.OVERVIEW,
        S.RANKING,
        S.RED_LIST,
        S.BLACK_LIST,
        S.TYPICAL,
        S.DEADLINE,
        S.LOOKBACK,
        S.TALKS,
        S.REQUIREMENTS,
    ),
    K.REDBLACK: (S.RED_LIST, S.BLACK_LIST, S.REQUIREMENTS),
    K.COMMENDATION: (S.OVERVIEW, S.COMMENDATIONS, S.REQUIREMENTS),
}

# Keys of the wording blocks: the opening, the closing, and one lead paragraph per section.
WORDING_KEYS = frozenset({"opening", "closing", *S.values})

_COMMON: dict[str, Any] = {
    S.OVERVIEW: _("现将有关情况通报如下。"),
    S.RANKING: _("各单位综合指数及排名情况如下（详见附件）。"),
    S.RED_LIST: _("以下单位综合指数位居前列，列入红榜，予以通报表扬。"),
    S.BLACK_LIST: _("以下单位综合指数低于黑榜分数线，列入黑榜，予以通报批评，须在规定期限内报送整改报告。"),
    S.TYPICAL: _("测评中发现的典型问题如下，请各责任单位举一反三、立行立改。"),
    S.DEADLINE: _("以下问题须在整改期限内整改到位，并上传整改前后对比照片。"),
    S.LOOKBACK: _("“回头看”发现以下问题整改不到位或存在书面整改、虚假整改情况。"),
    S.TALKS: _("对以下单位进行约谈或通报批评。"),
    S.COMMENDATIONS: _("经研究，决定对以下单位和个人予以表彰。"),
    S.SURVEY: _("问卷调查结果如下。"),
    S.MATERIALS: _("网上申报材料报送情况如下。"),
    S.REQUIREMENTS: _(
        "各单位要对照通报问题逐项整改，落实属地责任和部门监管责任，建立长效机制，坚决防止问题反弹。"
        "被列入黑榜和限期整改清单的单位，须在规定期限内通过系统报送整改报告。"
    ),
}

OPENINGS: dict[str, Any] = {
    K.INSPECTION: _("为巩固提升全国文明城市创建成果，区文明办组织开展了实地暗访测评。"),
    K.LOOKBACK: _("为检验前期问题整改成效，区文明办组织开展了“回头看”复查。"),
    K.MONTHLY: _("根据文明城市创建常态长效工作机制，现将本月测评及整改情况进行排名通报。"),
    K.REDBLACK: _("根据本期测评结果，现将红黑榜发布如下。"),
    K.COMMENDATION: _("在文明城市创建工作中，涌现出一批成绩突出的先进单位和个人。"),
}


def wording_for(kind: str) -> dict[str, str]:
    out = {key: str(text) for key, text in _COMMON.items() if key in SECTIONS[kind]}
    out["opening"] = str(OPENINGS[kind])
    out["closing"] = str(_("特此通报。"))
    return out


class _Wording(dict[str, dict[str, str]]):
    """Per kind, built when read so that the active language applies."""

    def __missing__(self, kind: str) -> dict[str, str]:
        return wording_for(kind)


WORDING = _Wording()


def prefix(office: Any, kind: str) -> str:
    """A document-number prefix from the office's name, e.g. 文明区文明办通 / 文明区文明办表."""
    short = (office.name or "")[:6]
    return f"{short}文明办{'表' if kind == K.COMMENDATION else '通'}"
