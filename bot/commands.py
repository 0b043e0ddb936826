"""The command menu Telegram shows next to the message box, in Vietnamese and English.

Vietnamese commands are Vietnamese words without diacritics (Telegram allows only a-z, 0-9
and "_"); the English ones work too, whatever the officer's language.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand

VI = [
    ("tieptuc", "Tiếp tục tự đánh giá"),
    ("danhsach", "Danh sách lĩnh vực, tiêu chí"),
    ("chuatraloi", "Chỉ các tiêu chí chưa trả lời"),
    ("tiendo", "Tiến độ, điểm tự đánh giá và hạn chót"),
    ("tonghop", "Tổng hợp theo lĩnh vực"),
    ("guiphieu", "Gửi phiếu tự đánh giá"),
    ("giaitrinh", "Các yêu cầu giải trình"),
    ("bangdiem", "Tải Bảng tự đánh giá, chấm điểm (Excel)"),
    ("giahan", "Đề nghị gia hạn tự đánh giá"),
    ("web", "Mở phiếu trên trình duyệt"),
    ("huy", "Hủy thao tác đang làm (ghi chú, giải trình...)"),
    ("ngonngu", "Đổi ngôn ngữ (Tiếng Việt / English)"),
    ("help", "Hướng dẫn sử dụng"),
    ("start", "Bắt đầu, nhập mã mời"),
]
EN = [
    ("continue", "Continue the self-assessment"),
    ("list", "Fields and criteria"),
    ("unanswered", "Only unanswered items"),
    ("status", "Progress, score so far and deadline"),
    ("summary", "Summary by field"),
    ("submit", "Submit the score sheet"),
    ("explain", "Explanation requests"),
    ("scorecard", "Download the unit's scorecard (Excel)"),
    ("extend", "Ask for a later self-assessment deadline"),
    ("web", "Open the score sheet in a browser"),
    ("cancel", "Cancel what you are doing (a note, an explanation...)"),
    ("language", "Change language (Vietnamese / English)"),
    ("help", "How to use the bot"),
    ("start", "Start, enter an invite code"),
]


def bot_commands(lang: str) -> list[BotCommand]:
    return [BotCommand(command=c, description=d) for c, d in (EN if lang == "en" else VI)]


async def register_commands(bot: Bot) -> None:
    """Vietnamese by default and for Vietnamese clients; English for English clients."""
    await bot.set_my_commands(bot_commands("vi"))
    await bot.set_my_commands(bot_commands("vi"), language_code="vi")
    await bot.set_my_commands(bot_commands("en"), language_code="en")
