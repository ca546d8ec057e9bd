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
