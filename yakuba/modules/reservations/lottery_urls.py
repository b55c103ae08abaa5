"""Lottery pages (抽選), mounted at /reservations/lottery/ by `urls.py`: the public rounds,
a resident's entry and their entries."""

from django.urls import path

from yakuba.modules.reservations import lottery_views

urlpatterns = [
    path("", lottery_views.rounds, name="lottery_rounds"),
    path("<int:pk>/", lottery_views.round_page, name="lottery_round"),
    path("<int:pk>/enter/", lottery_views.enter, name="lottery_enter"),
    path("mine/", lottery_views.mine, name="lottery_mine"),
    path("entries/<int:pk>/withdraw/", lottery_views.withdraw, name="lottery_withdraw"),
    path("entries/<int:pk>/confirm/", lottery_views.confirm, name="lottery_confirm"),
    path("entries/<int:pk>/decline/", lottery_views.decline, name="lottery_decline"),
]
