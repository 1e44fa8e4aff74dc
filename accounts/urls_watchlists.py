"""Filled in as the views land."""

urlpatterns: list = []
