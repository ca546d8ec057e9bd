"""The respondents' pages (no account): a stratum's self-completion link (``/q/<token>/``)."""

from chuangwen.surveys.views import public

app_name = "survey_public"

urlpatterns = [*public.urlpatterns]
