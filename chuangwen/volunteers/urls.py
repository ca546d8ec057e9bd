"""Staff pages of volunteer service under /volunteers/: one module per part, one namespace."""

from chuangwen.volunteers import urls_activities, urls_people, urls_requests, urls_results

app_name = "volunteers"
urlpatterns = [
    *urls_people.urlpatterns,
    *urls_activities.urlpatterns,
    *urls_requests.urlpatterns,
    *urls_results.urlpatterns,
]
