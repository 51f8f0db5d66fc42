from django.urls import path

from apps.operations import views

urlpatterns = [
    path("health/live/", views.live, name="health_live"),
    path("health/ready/", views.ReadinessView.as_view(), name="health_ready"),
    path("metrics", views.metrics, name="metrics"),
]
