"""Limits on self-completed questionnaires (``/q/<token>/submit``) per sender address, device and phone
number, checked and counted in one step by the citizen reports' :func:`chuangwen.reports.limits.take`.

The address limit is generous on purpose: a whole housing estate or a community centre's Wi-Fi answers from
one address, so the address alone never refuses a respondent early and never identifies one (the respondent
key is the phone number's or the device's hash, see ``services.submit``). From :data:`CAPTCHA_AFTER` attempts
of an address within its window on, the page asks for the image captcha of ``chuangwen.reports.captcha``.

Every window is at most a day, so ``reports.limits.purge`` (buckets untouched for longer than the reports'
longest window) also clears these buckets.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from chuangwen.reports.limits import Limit, keyed_hash, used

# Mobile networks put many phones behind one address (carrier NAT), and a community centre's Wi-Fi serves a
# whole survey event: the address limit only stops floods; the captcha from the 10th attempt stops scripts.
ADDRESS_LIMIT = settings.SURVEY_ADDRESS_LIMIT
ADDRESS_WINDOW_SECONDS = 3600
DEVICE_LIMIT = settings.SURVEY_DEVICE_LIMIT
DEVICE_WINDOW_SECONDS = 3600
PHONE_LIMIT = 5
PHONE_WINDOW_SECONDS = 86400
CAPTCHA_AFTER = settings.SURVEY_CAPTCHA_AFTER


def _limit(field: str, value: str, limit: int, window: int, message: str) -> Limit:
    return Limit(field, f"survey:{field}:{keyed_hash(field, value)}", limit, window, message)


def address_limit(ip: str) -> Limit:
    message = _("提交过于频繁：同一网络 %(window)s内最多提交 %(n)d 份问卷，请于 %(when)s 后再试")
    return _limit("address", ip, ADDRESS_LIMIT, ADDRESS_WINDOW_SECONDS, message)


def survey_limits(ip: str | None, device: str | None, phone: str) -> list[Limit]:
    """The limits a self-completed questionnaire falls under: its sender address, its device (the signed
    ``cw_device`` cookie) and its phone number (normalised, when one was given)."""
    found = []
    if ip:
        found.append(address_limit(ip))
    if device:
        message = _("提交过于频繁：同一设备 %(window)s内最多提交 %(n)d 次问卷，请于 %(when)s 后再试")
        found.append(_limit("device", device, DEVICE_LIMIT, DEVICE_WINDOW_SECONDS, message))
    if phone:
        message = _("提交过于频繁：同一手机号 %(window)s内最多提交 %(n)d 次问卷，请于 %(when)s 后再试")
        found.append(_limit("phone", phone, PHONE_LIMIT, PHONE_WINDOW_SECONDS, message))
    return found


def captcha_required(ip: str | None) -> bool:
    """From the CAPTCHA_AFTER-th attempt of an address within its window on (refused ones included)."""
    if not ip:
        return False
    return used(address_limit(ip)) >= CAPTCHA_AFTER
