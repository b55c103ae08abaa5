from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "yakuba.modules.reservations"
    label = "reservations"
    verbose_name = _("施設予約")

    def ready(self) -> None:
        from yakuba.core.registry import (
            MenuEntry,
            ModuleEntry,
            NotificationKind,
            Permission,
            register,
        )
        from yakuba.modules.reservations import demo, groups

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                resident_menu=(
                    MenuEntry(
                        label=_("施設を予約する"),
                        url_name="reservations:search",
                        description=_(
                            "公民館の会議室、体育館、グラウンドなど。空きを調べて、そのまま予約できます"
                        ),
                        icon="calendar",
                    ),
                    MenuEntry(
                        label=_("あなたの予約"),
                        url_name="reservations:mine",
                        description=_("予約の確認・変更・取り消し、使用料と支払いの期限"),
                        icon="calendar",
                    ),
                    MenuEntry(
                        label=_("施設の抽選に申し込む"),
                        url_name="reservations:lottery_rounds",
                        description=_(
                            "人気の施設は抽選で利用者を決めます。申し込み、結果の確認、当選の確定"
                        ),
                        icon="calendar",
                    ),
                    MenuEntry(
                        label=_("団体の登録"),
                        url_name="reservations:groups",
                        description=_("団体で施設を予約・抽選に申し込むための登録と会員の管理"),
                        icon="calendar",
                    ),
                    MenuEntry(
                        label=_("催し・教室に申し込む"),
                        url_name="reservations:events",
                        description=_("スマホ教室、健康講座、マイナンバーカードの申請受付日など"),
                        icon="calendar",
                    ),
                ),
                staff_menu=(
                    MenuEntry(
                        label=_("施設予約の管理"),
                        url_name="reservations:staff_calendar",
                        permission="reservations.change_booking",
                        description=_(
                            "担当施設の予約の一覧、窓口での予約と支払い、減免、休館・点検の登録、利用率"
                        ),
                        icon="calendar",
                    ),
                    MenuEntry(
                        label=_("抽選の管理"),
                        url_name="reservations:staff_lottery",
                        permission="reservations.change_booking",
                        description=_("担当施設の抽選の作成、申し込みの一覧、抽選の実施と結果"),
                        icon="calendar",
                    ),
                    MenuEntry(
                        label=_("登録団体の審査"),
                        url_name="reservations:staff_groups",
                        permission="reservations.change_booking",
                        description=_("団体登録の承認・不承認・停止"),
                        icon="calendar",
                        count_waiting=groups.pending_count,
                    ),
                    MenuEntry(
                        label=_("催し・教室の管理"),
                        url_name="reservations:staff_events",
                        permission="reservations.change_event",
                        description=_("催しと回の登録、公開、参加者名簿、QRコードでの受付、中止"),
                        icon="calendar",
                    ),
                ),
                permissions=(
                    Permission("change_booking", _("担当施設の予約を管理する")),
                    Permission("change_facility", _("施設と料金表を編集する")),
                    Permission("change_event", _("担当課の催し・教室を管理する")),
                ),
                notification_kinds=(
                    NotificationKind(
                        "reservations.group_approved",
                        _("団体登録の承認"),
                        subject=_("「((group))」の団体登録を承認しました"),
                        body=_(
                            "((氏名))様\n「((group))」を登録団体として承認しました。"
                            "団体として施設の予約と抽選への申し込みができます。\n\n"
                            "町からの連絡: ((reason))"
                        ),
                    ),
                    NotificationKind(
                        "reservations.group_refused",
                        _("団体登録の不承認"),
                        subject=_("「((group))」の団体登録は承認されませんでした"),
                        body=_(
                            "((氏名))様\n「((group))」の団体登録は、承認されませんでした。\n\n"
                            "理由: ((reason))\n\n内容を直して、もう一度申請できます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.group_suspended",
                        _("団体登録の停止"),
                        subject=_("「((group))」の団体登録を停止しました"),
                        body=_(
                            "((氏名))様\n「((group))」の団体登録を停止しました。停止中は、団体と"
                            "しての予約と抽選への申し込みができません。\n\n理由: ((reason))\n\n"
                            "ご不明な点は、施設の担当課にお問い合わせください。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.group_member_added",
                        _("登録団体の会員への追加"),
                        subject=_("「((group))」の会員に加えられました"),
                        body=_(
                            "((氏名))様\n「((group))」の代表者が、あなたを団体の会員に加えました。"
                            "団体として施設の予約と抽選への申し込みができます。\n\n"
                            "心当たりがないときは、下のリンクから会員をやめられます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.lottery_won",
                        _("施設の抽選の当選"),
                        subject=_(
                            "「((lottery))」に当選しました。((confirm_by))までに確定してください"
                        ),
                        body=_(
                            "((氏名))様\n抽選の結果、第((rank))希望に当選しました"
                            "（申込番号 ((entry))）。\n\n施設: ((facility))\n日時: ((when))\n"
                            "使用料: ((fee))円\n\n((confirm_by))までに、下のリンクから確定して"
                            "ください。確定しないと、当選は取り消され、ほかの方が予約できるように"
                            "なります。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.lottery_lost",
                        _("施設の抽選の落選"),
                        subject=_("「((lottery))」の抽選結果のお知らせ"),
                        body=_(
                            "((氏名))様\n申込番号 ((entry)) は、残念ながら落選でした。\n\n"
                            "空いている時間は、確定の期限のあと先着順で予約できます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.lottery_released",
                        _("施設の抽選の当選の取り消し（確定の期限切れ）"),
                        subject=_("確定の期限を過ぎたため、当選を取り消しました（((facility))）"),
                        body=_(
                            "((氏名))様\n「((lottery))」の当選は、確定の期限までに確定されなかった"
                            "ため、取り消しました。\n\n施設: ((facility))\n日時: ((when))"
                        ),
                    ),
                    NotificationKind(
                        "reservations.unpaid_released",
                        _("施設の予約の取り消し（支払いの期限切れ）"),
                        subject=_(
                            "支払いの期限を過ぎたため、予約を取り消しました（予約番号 ((number))）"
                        ),
                        body=_(
                            "((氏名))様\n使用料が支払いの期限までに支払われなかったため、次の予約を"
                            "取り消しました。\n\n施設: ((facility))\n日時: ((when))\n"
                            "予約番号: ((number))\n使用料: ((fee))円\n\n"
                            "取消料はかかりません。空いていれば、もう一度予約できます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.booked",
                        _("施設の予約"),
                        subject=_("((facility))の予約を受け付けました（予約番号 ((number))）"),
                        body=_(
                            "((氏名))様\n次の予約を受け付けました。\n\n施設: ((facility))\n"
                            "日時: ((when))\n予約番号: ((number))\n使用料: ((fee))円\n\n"
                            "予約の確認・取り消しは、下のリンクからできます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.changed",
                        _("施設の予約の変更"),
                        subject=_("((facility))の予約を変更しました（予約番号 ((number))）"),
                        body=_(
                            "((氏名))様\n予約を次のとおり変更しました。\n\n施設: ((facility))\n"
                            "日時: ((when))\n予約番号: ((number))\n使用料: ((fee))円\n\n"
                            "予約の確認・取り消しは、下のリンクからできます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.cancelled",
                        _("施設の予約の取り消し"),
                        subject=_("((facility))の予約を取り消しました（予約番号 ((number))）"),
                        body=_(
                            "((氏名))様\n次の予約を取り消しました。\n\n施設: ((facility))\n"
                            "日時: ((when))\n予約番号: ((number))\n取消料: ((cancellation_fee))円\n"
                            "取り消しの理由: ((reason))"
                        ),
                    ),
                    NotificationKind(
                        "reservations.reduction_approved",
                        _("施設の使用料の減免の承認"),
                        subject=_("使用料の減免を承認しました（予約番号 ((number))）"),
                        body=_(
                            "((氏名))様\n申請のあった使用料の減免を承認しました。\n\n"
                            "施設: ((facility))\n日時: ((when))\n予約番号: ((number))\n"
                            "減免後の使用料: ((fee))円\n\n町からの説明: ((reason))"
                        ),
                    ),
                    NotificationKind(
                        "reservations.reduction_refused",
                        _("施設の使用料の減免の不承認"),
                        subject=_("使用料の減免は承認されませんでした（予約番号 ((number))）"),
                        body=_(
                            "((氏名))様\n申請のあった使用料の減免は、承認されませんでした。"
                            "使用料は通常の金額になります。\n\n施設: ((facility))\n日時: ((when))\n"
                            "予約番号: ((number))\n使用料: ((fee))円\n\n理由: ((reason))\n\n"
                            "予約を取り消すときは、下のリンクからできます。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.event_signed_up",
                        _("催し・教室の参加確定"),
                        subject=_("「((event))」の参加が確定しました（参加券番号 ((number))）"),
                        body=_(
                            "((氏名))様\n次の催しの参加が確定しました。\n\n催し: ((event))\n"
                            "日時: ((when))\n会場: ((place))\n人数: ((seats))人\n"
                            "参加券番号: ((number))\n\n当日は、下のリンクの参加券（QRコード）を"
                            "受付で見せてください。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.event_waitlisted",
                        _("催し・教室のキャンセル待ち"),
                        subject=_(
                            "「((event))」のキャンセル待ちを受け付けました（((position))番目）"
                        ),
                        body=_(
                            "((氏名))様\n満席のため、キャンセル待ち（((position))番目）で受け付けま"
                            "した。\n\n催し: ((event))\n日時: ((when))\n人数: ((seats))人\n\n"
                            "席が空いたら、申し込んだ順に自動で参加確定になり、お知らせします。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.event_promoted",
                        _("催し・教室のキャンセル待ちからの参加確定"),
                        subject=_("「((event))」に空きが出て、参加が確定しました"),
                        body=_(
                            "((氏名))様\nキャンセル待ちの催しに空きが出たため、参加が確定しました。"
                            "\n\n催し: ((event))\n日時: ((when))\n会場: ((place))\n"
                            "人数: ((seats))人\n参加券番号: ((number))\n\n参加できなくなったときは、"
                            "下のリンクから取り消してください。席は次の方に回ります。"
                        ),
                    ),
                    NotificationKind(
                        "reservations.event_cancelled",
                        _("催し・教室の中止"),
                        subject=_("「((event))」は中止になりました"),
                        body=_(
                            "((氏名))様\nお申し込みの催しは、中止になりました。\n\n催し: ((event))"
                            "\n日時: ((when))\n\n理由: ((reason))\n\nご迷惑をおかけし、"
                            "申し訳ありません。"
                        ),
                    ),
                ),
                urls="yakuba.modules.reservations.urls",
                url_prefix="reservations/",
                api_router="yakuba.modules.reservations.api.router",
                api_prefix="reservations",
                load_demo=demo.load_demo,
                order=110,
            )
        )
