"""The starter public categories of citizen reports, mapped to the default standard's check items and duties.

Seeded by migration 0002 and by ``chuangwen reports seed-categories`` (which adds missing ones only)."""

from __future__ import annotations

from typing import Any

# (code = Open311 service_code, name, description, check item code, duty, keywords)
STARTER_CATEGORIES: list[tuple[str, str, str, str, str, str]] = [
    ("garbage", "垃圾堆放", "暴露垃圾、卫生死角、垃圾满溢未清运", "BJ-04", "环卫", "垃圾 卫生 死角 满溢"),
    ("street-vending", "占道经营", "占道经营、出店经营、流动摊贩", "ZD-04", "城管", "摊贩 占道 出店"),
    ("posters", "乱张贴乱涂写", "小广告、乱涂写、乱刻画", "ZD-03", "城管", "小广告 涂鸦 张贴"),
    ("parking", "车辆乱停放", "机动车、非机动车乱停放，占用盲道", "ZD-05", "交警", "停车 盲道 共享单车"),
    ("pavement", "道路设施破损", "人行道破损、井盖缺失或损坏", "ZD-06", "市政", "井盖 路面 破损 坑洼"),
    ("streetlight", "路灯不亮", "路灯不亮、缺失", "BJ-03", "市政", "路灯 照明"),
    ("clutter", "乱堆乱放", "乱堆乱放、私搭乱建", "BJ-05", "城管", "堆放 违建 杂物"),
    ("flying-wire", "飞线充电", "电动车飞线充电、乱拉线缆", "BJ-06", "街道", "充电 电线 飞线"),
    ("fire-lane", "消防通道堵塞", "消防通道被占用、堵塞", "LJ-03", "消防", "消防 通道 堵塞"),
    ("market", "农贸市场环境", "农贸市场地面积水、垃圾未清", "NM-03", "市场监管", "菜场 市场 积水"),
    ("public-facility", "公共设施损坏", "公园、广场的公共设施损坏", "GC-04", "园林", "座椅 设施 损坏"),
    ("other", "其他不文明现象", "以上类别以外的问题", "", "", "其他"),
]


def seed(model: Any) -> int:
    """Add the starter categories that are missing (by code); returns how many were added."""
    added = 0
    for order, (code, name, description, item, duty, keywords) in enumerate(STARTER_CATEGORIES):
        _obj, created = model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "check_item_code": item,
                "duty": duty,
                "keywords": keywords,
                "active": True,
                "sort_order": (order + 1) * 10,
            },
        )
        added += int(created)
    return added
