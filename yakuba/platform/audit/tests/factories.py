from __future__ import annotations

import factory
from django.contrib.auth.models import Permission

from yakuba.platform.accounts.models import User
from yakuba.platform.audit.models import AuditAction, AuditEntry

PASSWORD = "correct horse battery staple 7"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.jp")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        return model_class.objects.create_user(*args, **kwargs)  # type: ignore[arg-type]


class StaffFactory(UserFactory):
    is_staff = True


class AuditorFactory(StaffFactory):
    @factory.post_generation
    def may_search_audit_log(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.user_permissions.add(  # type: ignore[attr-defined]
                Permission.objects.get(
                    content_type__app_label="audit", codename="search_auditentry"
                )
            )


class AuditEntryFactory(factory.django.DjangoModelFactory[AuditEntry]):
    class Meta:
        model = AuditEntry

    actor_id = factory.Sequence(lambda n: 1000 + n)
    actor_label = factory.Sequence(lambda n: f"staff{n}@town.example.jp")
    action = AuditAction.UPDATE
    object_type = "core.municipality"
    object_id = "1"
    object_label = "宮城県亘理町"
    screen = "/admin/core/municipality/1/change/"
    ip_address = "192.0.2.10"
