import hashlib

from chuangwen.accounts.models import ApiToken
from chuangwen.accounts.services import issue_token, revoke_token, user_for_token
from chuangwen.audit.models import AuditEntry
from conftest import make_user


def test_it_keeps_only_the_hash_of_a_token(org):
    user = make_user("inspector", "inspector", org["district"])
    key = issue_token(user, "督查手机")
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in token.key_hash
    assert user_for_token(key) == user
    assert user_for_token(key + "x") is None
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_refuses_a_revoked_token_and_a_deactivated_user(org):
    user = make_user("inspector", "inspector", org["district"])
    key = issue_token(user, "督查手机")
    other = issue_token(user, "备用手机")
    assert revoke_token(ApiToken.objects.get(name="督查手机"))
    assert not revoke_token(ApiToken.objects.get(name="督查手机"))  # revoking twice changes nothing
    assert user_for_token(key) is None
    user.is_active = False
    user.save()
    assert user_for_token(other) is None
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("token_issued") == 2
    assert actions.count("token_revoked") == 1
