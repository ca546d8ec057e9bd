from chuangwen.accounts.models import User
from chuangwen.core.imports import export_xlsx, get_spec, run_import
from chuangwen.core.tests.helpers import errors_of, read_report, xlsx_bytes
from conftest import PASSWORD, make_user

HEADERS = ["用户名", "姓名", "角色", "所属单位编码", "手机号", "初始密码", "启用"]
GOOD_PASSWORD = "Wenming-2026#"


def test_it_imports_users_and_updates_them_on_reimport(org, users):
    rows = [
        ["zhang3", "张三", "责任单位经办人", "S01C01", "13800000001", GOOD_PASSWORD, "是"],
        ["li4", "李四", "inspector", "D01", 13800000002, GOOD_PASSWORD, ""],
    ]
    result = run_import("users", xlsx_bytes(HEADERS, rows), users["admin"])
    assert result.ok, errors_of(result)
    zhang = User.objects.get(username="zhang3")
    assert (zhang.full_name, zhang.role, zhang.unit.code, zhang.phone) == (
        "张三",
        "handler",
        "S01C01",
        "13800000001",
    )
    assert zhang.check_password(GOOD_PASSWORD) and zhang.is_active
    assert User.objects.get(username="li4").phone == "13800000002"

    rows = [["zhang3", "张三丰", "责任单位负责人", "S01", "", "", "否"]]
    result = run_import("users", xlsx_bytes(HEADERS, rows), users["admin"])
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    zhang.refresh_from_db()
    assert (zhang.full_name, zhang.role, zhang.unit.code, zhang.is_active) == (
        "张三丰",
        "unit_head",
        "S01",
        False,
    )
    assert zhang.check_password(GOOD_PASSWORD)  # the password column is for new users only
    assert User.objects.filter(username="zhang3").count() == 1


def test_a_weak_password_or_bad_role_writes_nothing(org, users):
    rows = [
        ["wang5", "王五", "督查员", "D01", "", "12345678", "是"],
        ["zhao6", "赵六", "扫地僧", "D01", "", GOOD_PASSWORD, "是"],
        ["qian7", "钱七", "督查员", "NOPE", "", GOOD_PASSWORD, "是"],
        ["sun8", "孙八", "督查员", "D01", "1380000", "", "也许"],
    ]
    result = run_import("users", xlsx_bytes(HEADERS, rows), users["admin"])
    assert not result.ok
    assert not User.objects.filter(username__in=["wang5", "zhao6", "qian7", "sun8"]).exists()
    found = {(row, column): reason for row, column, reason in errors_of(result)}
    assert "太常见" in found[(2, "初始密码")] and "三类" in found[(2, "初始密码")]
    assert found[(3, "角色")].startswith("“扫地僧”不是有效的选项")
    assert found[(4, "所属单位编码")] == "单位编码“NOPE”不存在，请先导入单位"
    assert found[(5, "手机号")] == "手机号应为 11 位数字"
    assert found[(5, "启用")] == "应填“是”或“否”，而不是“也许”"
    assert found[(5, "初始密码")] == "新用户必须填写初始密码"
    # passwords never reach the stored error report
    report = read_report(result.error_report)
    assert "12345678" not in repr(report)
    assert report["导入数据"][1][5] == "（已隐去）"


def test_it_refuses_users_outside_the_importers_subtree(org, users):
    west_admin = make_user("west_admin", "admin", org["west"])
    rows = [
        ["east_handler", "东城经办", "责任单位经办人", "S01", "", "", "是"],
        ["new_east", "新人", "责任单位经办人", "S02", "", GOOD_PASSWORD, "是"],
        ["new_west", "新人", "责任单位经办人", "S01", "", GOOD_PASSWORD, "是"],
    ]
    result = run_import("users", xlsx_bytes(HEADERS, rows), west_admin)
    assert errors_of(result) == [
        (2, "用户名", "该用户名已被使用，且该用户不在您的管辖范围内"),
        (3, "所属单位编码", "单位“S02”不在您的管辖范围内"),
    ]
    assert not User.objects.filter(username="new_west").exists()


def test_it_refuses_case_variants_of_existing_usernames_and_self_deactivation(org, users):
    rows = [
        ["Coord", "协调员", "文明办协调员", "D01", "", GOOD_PASSWORD, "是"],
        ["admin", "管理员", "系统管理员", "D01", "", "", "否"],
    ]
    result = run_import("users", xlsx_bytes(HEADERS, rows), users["admin"])
    assert errors_of(result) == [
        (2, "用户名", "与已有用户“coord”仅大小写不同"),
        (3, "启用", "不能停用自己的账号"),
    ]


def test_only_administrators_may_import_users(org, users):
    rows = [["boss", "老板", "系统管理员", "D01", "", GOOD_PASSWORD, "是"]]
    result = run_import("users", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert not result.ok
    assert "没有导入用户的权限" in result.errors[0].reason
    assert not User.objects.filter(username="boss").exists()


def test_an_export_reimports_cleanly_and_holds_no_passwords(org, users):
    admin = users["admin"]
    content = export_xlsx("users", get_spec("users").queryset_for(admin), actor=admin)
    assert PASSWORD.encode() not in content
    result = run_import("users", content, admin)
    assert result.ok, errors_of(result)
    assert (result.created, result.updated) == (0, len(users))
    assert User.objects.get(username="west_head").check_password(PASSWORD)
