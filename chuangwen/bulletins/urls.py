"""/bulletins/: the office's and the units' pages (page_urls) and the commendation and accountability records
(record_urls)."""

from chuangwen.bulletins.page_urls import urlpatterns as page_patterns
from chuangwen.bulletins.record_urls import urlpatterns as record_patterns

app_name = "bulletins"
urlpatterns = [*page_patterns, *record_patterns]
