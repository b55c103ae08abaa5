"""The signed-in user of a request, for views that run behind `login_required` or
`staff_required` (typed as our `User`, which `request.user` is not)."""

from django.http import HttpRequest

from yakuba.platform.accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - the view's decorator let only signed-in users in
    return user
