"""Starting this year's criteria set from last year's: copy it under a new code, then edit it
on the review page or by exporting, editing and importing the workbook."""

from __future__ import annotations

import re
from dataclasses import replace

from core.audit import Actor
from core.i18n import N_, Msg, UserError
from forms.criteria import get_set, import_draft, load_draft
from forms.models import CriteriaSet

_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,32}")


async def copy_set(
    actor: Actor, source_code: str, new_code: str, new_name: str, version: int | None = None
) -> CriteriaSet:
    """A new, unfrozen version 1 under ``new_code`` with every node of the source; the source
    itself is not touched, so a period using it keeps its questions."""
    new_code, new_name = new_code.strip(), new_name.strip()
    if not _CODE.fullmatch(new_code):
        raise UserError(
            Msg(
                N_(
                    "The new code “{code}” must have 1 to 32 letters without diacritics, "
                    "digits, “-”, “_” or “.”."
                ),
                code=new_code,
            )
        )
    if not new_name:
        raise UserError(Msg(N_("The new set needs a name.")))
    if await CriteriaSet.filter(code=new_code).exists():
        raise UserError(
            Msg(N_("The code “{code}” is already used by another criteria set."), code=new_code)
        )
    source = await load_draft(await get_set(source_code, version))
    return await import_draft(actor, replace(source, code=new_code, name=new_name))
