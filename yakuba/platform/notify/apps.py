from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "yakuba.platform.notify"
    label = "notify"
    verbose_name = _("町からの通知")

    def ready(self) -> None:
        from yakuba.core.registry import (
            MenuEntry,
            ModuleEntry,
            NotificationKind,
            Permission,
            PersonalData,
            register,
        )
        from yakuba.platform.notify import demo, personal_data
        from yakuba.platform.notify.channels import email, line, register_channel, sms, webpush
        from yakuba.platform.notify.queries import unread_count

        register_channel("email", email.build)
        register_channel("line", line.build)
        register_channel("sms", sms.build)
        register_channel("web_push", webpush.build)

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                resident_menu=(
                    MenuEntry(
                        label=_("町からのお知らせ"),
                        url_name="notify:inbox",
                        description=_("あなたに届いたお知らせ、質問への回答、町とのやりとり"),
                        icon="mail",
                        count_waiting=unread_count,
                    ),
                ),
                staff_menu=(
                    MenuEntry(
                        label=_("通知の送信"),
                        url_name="notify:staff_messages",
                        description=_(
                            "配信対象を選んでお知らせや質問を送り、届いた状況と回答を見る"
                        ),
                        permission="notify.view_message",
                        icon="mail",
                    ),
                    MenuEntry(
                        label=_("APIキー"),
                        url_name="notify:apikey_list",
                        description=_(
                            "他のシステムが町民へ通知を送るためのAPIキーを発行し、失効させる"
                        ),
                        permission="notify.add_apikey",
                        icon="key",
                    ),
                ),
                permissions=(
                    Permission("view_message", _("通知と配信状況を見る")),
                    Permission("add_message", _("通知を送る")),
                    Permission("send_emergency", _("緊急の通知を送る")),
                    Permission("add_segment", _("配信対象を作る・変える")),
                    Permission("view_reply", _("回答とやりとりを見る")),
                    Permission("add_conversationmessage", _("町民に返信する")),
                    Permission("add_apikey", _("APIキーを発行する")),
                ),
                notification_kinds=(
                    NotificationKind("notify.announcement", _("お知らせ"), _("職員が送るお知らせ")),
                    NotificationKind(
                        "notify.emergency",
                        _("緊急のお知らせ"),
                        _("災害など、通知しない時間や分野の選択にかかわらず届けるお知らせ"),
                        is_emergency=True,
                    ),
                    NotificationKind(
                        "notify.api", _("他のシステムからの通知"), _("HTTP APIで送られた通知")
                    ),
                    NotificationKind(
                        "notify.reply",
                        _("町からの返信"),
                        _("やりとりに職員が返信したことを町民に知らせる"),
                        subject=_("「((件名))」について町から返信がありました"),
                        body=_(
                            "「((件名))」について、町から返信がありました。\n\n((返信))\n\n"
                            "返事は、下のリンクのやりとりから送れます。"
                        ),
                    ),
                ),
                urls="yakuba.platform.notify.urls",
                url_prefix="notify/",
                api_router="yakuba.platform.notify.api.router",
                api_prefix="notify",
                load_demo=demo.load_demo,
                personal_data=PersonalData(export=personal_data.export, erase=personal_data.erase),
                order=40,
            )
        )
