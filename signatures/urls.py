from django.urls import path

from . import views

app_name = "signatures"

urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("withdraw/<str:token>/", views.withdraw, name="withdraw"),
]
