"""Demo accounts: the first of every role is ``demo_<role>``, then per-street, per-department and more."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from chuangwen.accounts.models import Role, User
from chuangwen.demo.names import NameBook
from chuangwen.demo.spec import DEMO_PASSWORD
from chuangwen.demo.territory import Territory
from chuangwen.org.models import Unit

EXTRA_AT_ROOT = {Role.COORDINATOR: 1, Role.LEADER: 1, Role.INSPECTOR: 5, Role.VERIFIER: 2}
EXTRA_VOLUNTEERS = 5


@dataclass
class Account:
    username: str
    role: str
    unit: Unit
    staff: bool = False


def _suffix(territory: Territory, unit: Unit) -> str:
    """``s03`` for a street of a one-district demo, ``d02s03`` in a city; ``s01c02``, ``b05`` likewise."""
    code = unit.code.lower()
    return code[3:] if len(territory.districts) == 1 else code


def plan_accounts(territory: Territory, rng: random.Random) -> list[Account]:
    root = territory.root
    first_district = territory.districts[0]
    first_street = first_district.streets[0]
    accounts = [
        Account("demo_coordinator", Role.COORDINATOR, root),
        Account("demo_leader", Role.LEADER, root),
        Account("demo_admin", Role.ADMIN, root, staff=True),
        Account("demo_inspector", Role.INSPECTOR, root),
        Account("demo_verifier", Role.VERIFIER, root),
        Account("demo_handler", Role.HANDLER, first_street.unit),
        Account("demo_unit_head", Role.UNIT_HEAD, first_street.unit),
        Account("demo_volunteer", Role.VOLUNTEER, first_street.communities[0].unit),
    ]
    for role, extra in EXTRA_AT_ROOT.items():
        accounts += [Account(f"demo_{role}_{n}", role, root) for n in range(2, extra + 2)]
    if len(territory.districts) > 1:
        for district in territory.districts:
            tag = district.unit.code.lower()
            accounts += [
                Account(f"demo_coordinator_{tag}", Role.COORDINATOR, district.unit),
                Account(f"demo_leader_{tag}", Role.LEADER, district.unit),
            ]
    accounts += _unit_accounts(territory)
    communities = [c.unit for d in territory.districts for s in d.streets for c in s.communities]
    accounts += [
        Account(f"demo_volunteer_{n}", Role.VOLUNTEER, rng.choice(communities))
        for n in range(2, EXTRA_VOLUNTEERS + 2)
    ]
    return accounts


def _unit_accounts(territory: Territory) -> list[Account]:
    """A handler and a head in every street and department, a coordinator in every street; a handler in
    each street's first community."""
    accounts = []
    for district in territory.districts:
        for n, street in enumerate(district.streets):
            if not (district is territory.districts[0] and n == 0):  # that street has demo_handler
                tag = _suffix(territory, street.unit)
                accounts += [
                    Account(f"demo_handler_{tag}", Role.HANDLER, street.unit),
                    Account(f"demo_unit_head_{tag}", Role.UNIT_HEAD, street.unit),
                ]
            # the street's own office runs its 自查 rounds (a 自查 belongs to its coordinator's unit)
            own = f"demo_coordinator_{_suffix(territory, street.unit)}"
            accounts.append(Account(own, Role.COORDINATOR, street.unit))
            community = street.communities[0].unit
            accounts.append(Account(f"demo_handler_{_suffix(territory, community)}", Role.HANDLER, community))
        for department in district.departments:
            tag = _suffix(territory, department)
            accounts += [
                Account(f"demo_handler_{tag}", Role.HANDLER, department),
                Account(f"demo_unit_head_{tag}", Role.UNIT_HEAD, department),
            ]
    return accounts


def build_people(territory: Territory, rng: random.Random, names: NameBook) -> list[User]:
    """Create the accounts; one Argon2 hash serves them all (hashing is deliberately slow)."""
    password = make_password(DEMO_PASSWORD)
    used: set[str] = set()
    users = []
    for account in plan_accounts(territory, rng):
        full_name = names.person()
        while full_name in used:
            full_name = names.person()
        used.add(full_name)
        users.append(
            User(
                username=account.username,
                role=account.role,
                unit=account.unit,
                full_name=full_name,
                password=password,
                is_staff=account.staff,
                is_superuser=account.staff,
            )
        )
    User.objects.bulk_create(users, batch_size=500)
    return users
