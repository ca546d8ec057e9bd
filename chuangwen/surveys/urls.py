"""The survey pages; each area's view module holds its own ``urlpatterns`` (docs/surveys.md, "Pages")."""

from chuangwen.surveys.views import cati, interview, questionnaires, residents, results, review, waves

app_name = "surveys"

urlpatterns = [
    *waves.urlpatterns,
    *residents.urlpatterns,
    *questionnaires.urlpatterns,
    *review.urlpatterns,
    *results.urlpatterns,
    *interview.urlpatterns,
    *cati.urlpatterns,
]
