"""/api/v1/volunteers: requests (docs/volunteers.md, "API")."""

from ninja import Router

router = Router(tags=["志愿服务"])
