from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    """The resident's own page (マイページ)."""
    return render(request, "accounts/my_page.html")
