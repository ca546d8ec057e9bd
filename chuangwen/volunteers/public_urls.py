"""Public phone pages of volunteer service under /v/ (no staff account): registration, activities, check-in,
a volunteer's own record, service requests (点单) and the certificate check."""

from chuangwen.volunteers import public_urls_activities, public_urls_requests

app_name = "volunteer_public"
urlpatterns = [*public_urls_activities.urlpatterns, *public_urls_requests.urlpatterns]
