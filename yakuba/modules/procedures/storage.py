"""Where applications' files are kept: the "private" storage (settings.STORAGES), outside
MEDIA_ROOT, so that no URL ever reaches a resident's attachment or the signed copy of an
application. They are served only by the views that check who asks (`views.attachment`,
`views.submission_pdf` and their staff counterparts)."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.utils.functional import LazyObject, empty

PRIVATE = "private"


class PrivateStorage(LazyObject):
    """The "private" storage, looked up when first used. A model field keeps the storage it is
    given for the life of the process; this proxy lets it follow a change of STORAGES (tests
    point it at a temporary folder)."""

    _wrapped: Any

    def _setup(self) -> None:
        self._wrapped = storages[PRIVATE]


private_files = PrivateStorage()


def private_storage() -> Storage:
    """The storage of Attachment.file and Submission.pdf (a callable, so that migrations name
    it rather than a folder)."""
    return private_files  # type: ignore[return-value]


@receiver(setting_changed)
def _forget_private_storage(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        private_files._wrapped = empty


def serve(file: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    """One of these files, shown in the browser (not downloaded) under its own name, never kept
    by a cache or sniffed as another type; 404 when it is not in storage. The caller has checked
    who asks."""
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle, content_type=content_type, filename=filename, as_attachment=False
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
