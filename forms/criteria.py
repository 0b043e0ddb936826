"""Storing and reading criteria sets; a set used by a period is frozen and edits make a version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.i18n import N_, Msg, UserError
from forms.criteria_rows import NODE_FIELDS, SET_FIELDS, CriteriaDraft, NodeDraft, values_of
from forms.models import CriteriaNode, CriteriaSet
from forms.rules import Rule, parse_rule


async def import_draft(
    actor: Actor, draft: CriteriaDraft, *, is_sample: bool = False
) -> CriteriaSet:
    """Store a checked draft.

    A new code starts at version 1. If the latest version of the code is not frozen yet, its
    nodes are replaced (a secretariat fixing its file before opening the period); if it is
    frozen, a new version is created so that assessments keep the questions they answered.
    """
    async with in_transaction():
        latest = await CriteriaSet.filter(code=draft.code).order_by("-version").first()
        if latest is not None and latest.frozen_at is None:
            old = {"nodes": await CriteriaNode.filter(criteria_set=latest).count()}
            await CriteriaNode.filter(criteria_set=latest).delete()
            for key, value in values_of(draft, SET_FIELDS).items():
                setattr(latest, key, value)
            latest.is_sample = is_sample
            await latest.save()
            cset, action = latest, "criteria_set.replace"
        else:
            old = None
            version = latest.version + 1 if latest is not None else 1
            cset = await CriteriaSet.create(
                version=version, is_sample=is_sample, **values_of(draft, SET_FIELDS)
            )
            action = "criteria_set.import"
        await CriteriaNode.bulk_create(
            [
                CriteriaNode(criteria_set=cset, **values_of(node, NODE_FIELDS))
                for node in draft.nodes
            ]
        )
        await record(
            actor,
            action,
            "criteria_set",
            cset.id,
            old=old,
            new={
                "code": cset.code,
                "version": cset.version,
                "nodes": len(draft.nodes),
                "total_max": draft.total_max,
            },
        )
    return cset


async def get_set(code: str, version: int | None = None) -> CriteriaSet:
    query = CriteriaSet.filter(code=code)
    cset = await (
        query.filter(version=version).first()
        if version is not None
        else query.order_by("-version").first()
    )
    if cset is None:
        raise UserError(Msg(N_("There is no criteria set with the code “{code}”."), code=code))
    return cset


def node_rule(node: CriteriaNode) -> Rule | None:
    """The item's rule, rebuilt from the stored canonical parameters."""
    if node.rule_type is None:
        return None
    params = json.dumps(node.rule_params, sort_keys=True, ensure_ascii=False)
    return _rule(node.rule_type, params, str(node.max_score), bool(node.na_allowed))


@lru_cache(maxsize=4096)
def _rule(rule_type: Any, params: str, max_score: str, na_allowed: bool) -> Rule:
    """Rules are immutable and an item's stored parameters rarely change, while every answer
    needs its item's rule: each distinct definition is checked and built once."""
    return parse_rule(rule_type, json.loads(params), Decimal(max_score), na_allowed)


async def load_draft(cset: CriteriaSet) -> CriteriaDraft:
    """A stored set in the same shape the importer produces (for export and comparison)."""
    nodes = await CriteriaNode.filter(criteria_set=cset).order_by("position")
    info = values_of(cset, SET_FIELDS)
    info |= {k: Decimal(info[k]) for k in ("total_max", "bonus_cap", "penalty_cap")}
    return CriteriaDraft(
        **info,
        nodes=tuple(
            NodeDraft(
                **values_of(n, NODE_FIELDS)
                | {
                    "level": str(n.level),
                    "section": str(n.section),
                    "max_score": Decimal(n.max_score),
                    "rule": node_rule(n),
                }
            )
            for n in nodes
        ),
    )


async def freeze(actor: Actor, cset: CriteriaSet) -> None:
    """Mark a set as in use; later imports of the same code create a new version."""
    if cset.frozen_at is not None:
        return
    cset.frozen_at = datetime.now(UTC)
    await cset.save(update_fields=["frozen_at"])
    await record(
        actor,
        "criteria_set.freeze",
        "criteria_set",
        cset.id,
        new={"code": cset.code, "version": cset.version},
    )
