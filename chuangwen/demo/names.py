"""Pools of plausible Chinese names; every draw goes through one seeded Random in a fixed order."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 "
    "建华 文 华 红 玲 晓东 志强 海燕 婷 雪 慧 宇 浩 鑫 佳 欣怡 子涵 梓轩 建国 国平 丽华 建军 "
    "晓燕 振华 春梅 海波 立新 卫东 小红 晨 琳 颖 斌 辉 鹏 俊 凯 峰 晶 倩 蕾 思远 雨涵 嘉怡 "
    "一鸣 天佑 文博 泽宇 若曦 诗琪 子墨 浩然 梦洁 雅婷 家豪 俊杰 永红 秀兰 志刚 新华 少华 国庆 丹 宁 亮 健 "
    "岚 萍 燕 彬 璐 薇 楠"
).split()

# Two-character place words: first half × second half gives 1,000 distinct, pronounceable names.
PLACE_FIRST = "东西南北新清长和安兴文明春华锦丰永福瑞康平泰宁翠云江湖河桥山嘉禾德信双古凤金玉青松柳星"
PLACE_SECOND = "苑湾华城林阳塘港溪桥园门盛泽宁兴源浦亭坊岭川庄堰荡"

DISTRICT_NAMES = [
    "清河区",
    "临江区",
    "东湖区",
    "西城区",
    "南屏区",
    "北山区",
    "凤凰区",
    "新安区",
    "长乐区",
    "安澜区",
]
DISTRICT_NAMES += ["滨海区", "金川区"]
CITY_NAME = "临湖市"

# (name suffix under the district, duty tags)
DEPARTMENTS: list[tuple[str, list[str]]] = [
    ("委宣传部", ["宣传"]),
    ("文明办", ["文明办"]),
    ("城市管理局", ["城管"]),
    ("环境卫生管理中心", ["环卫"]),
    ("市政设施管理中心", ["市政"]),
    ("住房和城乡建设局", ["住建", "物业"]),
    ("公安分局交警大队", ["交警"]),
    ("市场监督管理局", ["市场监管"]),
    ("民政局", ["民政"]),
    ("消防救援大队", ["消防"]),
    ("交通运输局", ["交通"]),
    ("园林绿化管理局", ["园林"]),
    ("文化市场综合行政执法队", ["文化执法"]),
    ("教育局", ["教育"]),
    ("行政审批服务局", ["行政审批"]),
]
# Duties the site's own street or community answers for; no department carries them.
TERRITORIAL_DUTIES = frozenset({"街道", "社区"})


class NameBook:
    """Draws distinct names without replacement from a sorted pool (order never depends on hashing)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.places = sorted(a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b)
        self.used: set[str] = set()

    def place(self) -> str:
        if not self.places:  # only at scales far beyond the demo's
            words = (a + b + c for a in PLACE_FIRST for b in PLACE_SECOND for c in "东西南北中" if a != b)
            self.places = sorted(w for w in words if w not in self.used)
        name = self.places.pop(self.rng.randrange(len(self.places)))
        self.used.add(name)
        return name

    def word(self) -> str:
        """A place word that may repeat (road names, school names …)."""
        first = self.rng.choice(PLACE_FIRST)
        return first + self.rng.choice(PLACE_SECOND.replace(first, ""))

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)


class UniqueNames:
    """Makes site names distinct by adding a section or a number to a repeated name."""

    SECTIONS = ("（东段）", "（西段）", "（南段）", "（北段）", "（二期）", "（三期）")

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, name: str, *, sections: bool = False) -> str:
        candidates = [name, *(name + s for s in self.SECTIONS if sections)]
        for candidate in candidates:
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
        n = 2
        while f"{name}（{n}）" in self.used:
            n += 1
        self.used.add(f"{name}（{n}）")
        return f"{name}（{n}）"
