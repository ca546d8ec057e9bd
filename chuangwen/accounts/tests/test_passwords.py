import pytest
from django.contrib.auth.hashers import get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings

from chuangwen.accounts.models import User
from conftest import PASSWORD


@pytest.mark.parametrize(
    "password",
    [
        "Ab1!xyz",  # too short
        "password123",  # common
        "83927461029384",  # only digits
        "allsmallletters",  # one character class
        "wanglei-2026X",  # too close to the user's name
    ],
)
def test_it_rejects_weak_passwords(db, password):
    with pytest.raises(ValidationError):
        validate_password(password, User(username="wanglei", full_name="王磊"))


def test_it_explains_the_character_class_rule_in_chinese(db):
    with pytest.raises(ValidationError) as excinfo:
        validate_password("onlylowercaseletters", User(username="someone"))
    assert any("三类" in message for message in excinfo.value.messages)


def test_it_accepts_a_strong_password(db):
    validate_password(PASSWORD, User(username="someone"))


def test_it_hashes_with_argon2_in_the_real_settings():
    # The test settings use a fast hasher; the project's own settings must put Argon2 first.
    from chuangwen import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        assert get_hasher().algorithm == "argon2"
        assert make_password(PASSWORD).startswith("argon2$argon2id$")


def test_it_refuses_the_username_typed_twice_as_password(db):
    # Django's similarity check scores the username twice at 2/3, under its 0.7 limit: it used to pass.
    user = User(username="Wang.Lei-2026", full_name="王磊")
    with pytest.raises(ValidationError) as excinfo:
        validate_password("Wang.Lei-2026Wang.Lei-2026", user)
    assert excinfo.value.messages == ["密码不能包含用户名。"]
    with pytest.raises(ValidationError):
        validate_password("Secret-wang.lei-2026-x", user)  # anywhere, in any letter case


def test_it_compares_the_password_with_the_full_name_and_email(db):
    user = User(username="u1024", full_name="Lindqvist-Ohlsson", email="wanglei@example.cn")
    with pytest.raises(ValidationError) as excinfo:
        validate_password("Lindqvist-Ohlsson1", user)
    assert excinfo.value.messages == ["密码跟 姓名 太相似了。"]
    with pytest.raises(ValidationError) as excinfo:
        validate_password("Wanglei@example.cn", user)
    assert "太相似" in excinfo.value.messages[0]


def test_it_says_every_rule_in_chinese(db):
    cases = {
        "Sh0rt-x": "密码太短，至少需要 10 个字符。",
        "Password123": "这个密码太常见了。",
        "83927461029384": "密码只包含数字。",
    }
    for password, message in cases.items():
        with pytest.raises(ValidationError) as excinfo:
            validate_password(password, User(username="someone"))
        assert message in excinfo.value.messages, excinfo.value.messages


def test_it_keeps_the_test_and_demo_passwords_valid(db):
    from chuangwen.accounts.models import Role
    from chuangwen.demo.services import DEMO_PASSWORD

    for username in ("coord", "admin", "inspector", "west_handler", "dept_handler"):
        validate_password(PASSWORD, User(username=username, full_name=username))
    for role in Role.values:
        validate_password(DEMO_PASSWORD, User(username=f"demo_{role}", full_name="王磊"))


def test_it_shows_the_password_rules_in_chinese_on_the_password_change_page(users):
    from django.urls import reverse

    from conftest import client_for

    client = client_for(users["west_handler"])
    url = reverse("accounts:password_change")
    page = client.get(url).content.decode()
    assert "密码不能包含用户名" in page and "你的密码不能全都是数字" in page  # the rules, before typing
    twice = "West_Handler" * 2 + "-1"
    r = client.post(url, {"old_password": PASSWORD, "new_password1": twice, "new_password2": twice})
    html = r.content.decode()
    assert r.status_code == 200 and "密码不能包含用户名" in html
    r = client.post(url, {"old_password": PASSWORD, "new_password1": "Sh0rt-x", "new_password2": "Sh0rt-x"})
    assert "密码太短，至少需要 10 个字符" in r.content.decode()
    users["west_handler"].refresh_from_db()
    assert users["west_handler"].check_password(PASSWORD)
