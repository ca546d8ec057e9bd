"""(being written)"""

from ninja import Router
from ninja.security import SessionAuth

from chuangwen.accounts.token_auth import TokenAuth

router = Router(tags=["通报"], auth=[TokenAuth(), SessionAuth()])
