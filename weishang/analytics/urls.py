from django.urls import path, re_path

from . import views

app_name = "analytics"
URL_PREFIX = "hq/"

urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/file", views.job_file, name="job_file"),
    re_path(r"^jobs/code-export/(?P<pk>\d+)/(?P<fmt>csv|txt)$", views.start_code_export, name="start_code_export"),
]
