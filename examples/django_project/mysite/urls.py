"""One route: ``POST /orders/<id>/charge/`` enqueues the charge task."""

from django.urls import path
from shop import views

urlpatterns = [
    path("orders/<int:order_id>/charge/", views.charge_order),
]
