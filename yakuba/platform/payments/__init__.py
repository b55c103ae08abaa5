"""Payments (決済): the seam through which modules ask for a fee to be paid.

Procedures' 手数料 and reservations' 使用料 go through the same `FeeCollector`, so that the payments
module (plan items 1-2①② セミセルフレジ・キャッシュレス) plugs in once for every module. See
`collectors.py`.
"""
