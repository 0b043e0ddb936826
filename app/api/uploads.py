"""Reading an uploaded file with the size limit of the settings."""

from __future__ import annotations

from fastapi import Request, UploadFile

from core.i18n import N_, Msg, UserError


async def read_upload(request: Request, file: UploadFile) -> bytes:
    """The file's bytes; refuses files above ``CCHC_MAX_UPLOAD_MB`` without reading them all."""
    settings = getattr(request.app.state, "settings", None)
    limit_mb = settings.max_upload_mb if settings is not None else 20
    limit = limit_mb * 1024 * 1024
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise UserError(Msg(N_("The file is larger than {mb} MB."), mb=limit_mb))
    if not data:
        raise UserError(Msg(N_("The file is empty.")))
    return data
