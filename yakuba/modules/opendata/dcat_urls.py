"""dcat_urls"""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
