from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "chuangwen.dashboards"
    label = "dashboards"
    verbose_name = _("数据看板")

    def ready(self) -> None:
        from chuangwen.cases.models import Case, CaseEvent
        from chuangwen.dashboards.cache import bump
        from chuangwen.org.models import Unit
        from chuangwen.rankings.models import Ranking
        from chuangwen.rounds.models import Round
        from chuangwen.sites.models import Site

        # The state machine writes cases with update() (optimistic locking) but always adds a CaseEvent;
        # publishing a round saves the round; publishing a ranking creates one.
        for model in (Case, CaseEvent, Round, Ranking, Site, Unit):
            post_save.connect(bump, sender=model, dispatch_uid=f"dashboards-bump-{model.__name__}-save")
            post_delete.connect(bump, sender=model, dispatch_uid=f"dashboards-bump-{model.__name__}-delete")
        self._volunteer_signals()

    def _volunteer_signals(self) -> None:
        """The 志愿服务 panel: registrations and leaving, activities, request events and ratings, population
        figures; a sign-up only when its confirmed hours change (``volunteer_panel.bump_on_signup``)."""
        from chuangwen.dashboards.cache import bump
        from chuangwen.dashboards.volunteer_panel import bump_on_signup
        from chuangwen.surveys.models import PopulationFigure
        from chuangwen.volunteers.models import Activity, RequestEvent, ServiceRequest, SignUp, Volunteer

        for model in (Volunteer, Activity, RequestEvent, ServiceRequest, PopulationFigure):
            name = model.__name__
            post_save.connect(bump, sender=model, dispatch_uid=f"dashboards-bump-{name}-save")
            post_delete.connect(bump, sender=model, dispatch_uid=f"dashboards-bump-{name}-delete")
        post_save.connect(bump_on_signup, sender=SignUp, dispatch_uid="dashboards-bump-SignUp-save")
        post_delete.connect(bump, sender=SignUp, dispatch_uid="dashboards-bump-SignUp-delete")
