"""The volunteer-service JSON API under /api/v1/volunteers: one router per part, added in this order."""

from chuangwen.volunteers.api import activities, people, requests, results

ROUTERS = [people.router, activities.router, requests.router, results.router]

__all__ = ["ROUTERS"]
