from django.contrib import admin

from yakuba.core.models import Municipality


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "prefecture", "code", "is_demo")
