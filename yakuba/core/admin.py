from django.contrib import admin
from django.db import models

from yakuba.core.models import Municipality


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "prefecture", "code", "is_demo")
    # A web address typed without a scheme is the town's site over HTTPS.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
