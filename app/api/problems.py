"""FastAPI's request validation errors as sentences a person reads, in the request's language.

Pydantic describes each problem with a stable ``type`` and its context (``max_length``,
``ge``...); its own ``msg`` is English only. Each type known here has a message of the
catalogs, prefixed with the field's place in the request (``note``, ``groups.0.bands.1.min_index``),
so the field is always named. Messages raised by the schemas' own validators are catalog
message ids and are translated the same way.
"""

from __future__ import annotations

from typing import Any

from core.i18n import N_, Msg, gettext

_BY_TYPE: dict[str, str] = {
    "missing": N_("this field is required."),
    "string_too_long": N_("at most {max_length} characters."),
    "string_too_short": N_("at least {min_length} character(s)."),
    "too_long": N_("at most {max_length} item(s)."),
    "too_short": N_("at least {min_length} item(s)."),
    "string_type": N_("a text is expected."),
    "string_pattern_mismatch": N_("the text does not have the expected form."),
    "int_parsing": N_("a whole number is expected."),
    "int_type": N_("a whole number is expected."),
    "int_from_float": N_("a whole number is expected."),
    "float_parsing": N_("a number is expected."),
    "float_type": N_("a number is expected."),
    "decimal_parsing": N_("a number is expected."),
    "bool_parsing": N_("true or false is expected."),
    "bool_type": N_("true or false is expected."),
    "greater_than_equal": N_("at least {ge}."),
    "greater_than": N_("more than {gt}."),
    "less_than_equal": N_("at most {le}."),
    "less_than": N_("less than {lt}."),
    "enum": N_("one of: {expected}."),
    "literal_error": N_("one of: {expected}."),
    "extra_forbidden": N_("this field is not known."),
    "dict_type": N_("an object is expected."),
    "model_type": N_("an object is expected."),
    "model_attributes_type": N_("an object is expected."),
    "list_type": N_("a list is expected."),
    "datetime_parsing": N_("a date and time (ISO 8601, with an offset) is expected."),
    "datetime_type": N_("a date and time (ISO 8601, with an offset) is expected."),
    "timezone_aware": N_("the date and time needs an offset, e.g. +07:00."),
    "date_parsing": N_("a date (yyyy-mm-dd) is expected."),
    "union_tag_invalid": N_("the value does not have an accepted form."),
}
_FALLBACK = N_("the value is not accepted.")


def field_of(error: dict[str, Any]) -> str:
    """Where the problem is: the body's field path, or the query/path parameter's name."""
    return ".".join(str(x) for x in error.get("loc", ()) if x not in ("body", "query", "path"))


def problem_msg(error: dict[str, Any]) -> Msg:
    """One problem as a message: "<field>: <what is wrong>"."""
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    kind = str(error.get("type", ""))
    where = field_of(error)
    if where == "file" or where.endswith(".file"):
        what = Msg(N_("choose a file to upload."))
    elif kind == "value_error" and gettext(ctx.get("error", ""), "vi") != ctx.get("error", ""):
        # the schemas' validators raise ValueError(<catalog message id>)
        what = Msg(ctx["error"])
    elif kind in _BY_TYPE:
        template = _BY_TYPE[kind]
        what = Msg(template, **{k: v for k, v in ctx.items() if "{" + k + "}" in template})
    else:
        what = Msg(_FALLBACK)
    # not a catalog message: the same in every language
    return Msg("{field}: {problem}", field=where, problem=what) if where else what


def invalid_json(errors: list[dict[str, Any]]) -> bool:
    """The body is not JSON at all (rather than JSON with wrong values): broken JSON, or a body
    sent without the JSON content type, which reaches the model as raw text."""
    return any(
        e.get("type") == "json_invalid"
        or (tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), bytes | str))
        for e in errors
    )
