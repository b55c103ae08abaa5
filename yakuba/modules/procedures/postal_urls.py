"""The postal-code lookup behind address fields (included by the procedures URLs as
``procedures:postal_lookup``): ``GET ?code=9892393`` →
``{"code": "989-2393", "addresses": [{"prefecture", "city", "town", "text"}]}``.

Public data, so no sign-in; the answer is the same for everyone and is cached for a day.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from yakuba.modules.procedures import postal
from yakuba.modules.procedures.engine import normalise_postal_code


@require_GET
@cache_control(public=True, max_age=86400)
def postal_lookup(request: HttpRequest) -> JsonResponse:
    """The addresses of a postal code; 400 with a message when the code is not 7 digits."""
    code = normalise_postal_code(request.GET.get("code", ""))
    if code is None:
        return JsonResponse(
            {"error": _("郵便番号は 989-2393 のように7桁の数字で入力してください。")}, status=400
        )
    addresses = [{**address.as_dict(), "text": str(address)} for address in postal.lookup(code)]
    return JsonResponse({"code": code, "addresses": addresses})


urlpatterns = [path("postal-code/", postal_lookup, name="postal_lookup")]
