"""Which appraiser answers for which part of a criteria set, and what each person may see.

An assignment names a node of a criteria set (a field such as "3", or a criterion such as
"3.2"); the appraiser is responsible for every item under it, in every unit that uses the set.
A unit assignment (:class:`~scoring.models.AppraiserUnitAssignment`) does the same for one unit
only, and with no node it covers every item of that unit: so the secretariat can split the
appraisal by field, by unit, or by field within a unit.
Administrators (the secretariat, who chairs the appraisal team) and viewers see everything;
appraisers see only the items under their assignments; officers see their own unit only.

:class:`Scope` is computed once per request and criteria set and then asked per item, so lists
of thousands of items are filtered without a query per item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.auth import NotFound, require_admin, require_role
from core.i18n import N_, Msg, UserError
from core.models import BackofficeUser, Officer, Unit, UserRole, given
from forms.answers import NotAllowedError
from forms.models import Assessment, CriteriaSet, NodeLevel
from forms.outline import OutlineNode, outline, outline_of
from scoring.models import AppraiserAssignment, AppraiserUnitAssignment


@dataclass
class Scope:
    """What one actor may see of one criteria set.

    ``everything``: all items of all units. Otherwise ``codes`` lists the visible item codes
    (appraisers), and ``unit_id`` restricts to one unit (officers, who see all its items).
    """

    everything: bool = False
    codes: frozenset[str] = field(default_factory=frozenset)
    unit_id: int | None = None
    may_review: bool = False
    unit_codes: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def sees_item(self, code: str, unit_id: int | None = None) -> bool:
        """Whether the item is visible; with ``unit_id``, in that unit (unit assignments
        count), without it, in every unit (only whole-set assignments count)."""
        if self.everything or self.unit_id is not None or code in self.codes:
            return True
        return unit_id is not None and code in self.unit_codes.get(unit_id, ())

    def sees_unit(self, unit_id: int) -> bool:
        if self.unit_id is not None:
            return unit_id == self.unit_id
        return self.everything or bool(self.codes) or bool(self.unit_codes.get(unit_id))


def items_under(nodes: list[OutlineNode], roots: set[str]) -> set[str]:
    """Codes of the items at or below any of ``roots`` (walking parents, not code prefixes)."""
    parent = {n.code: n.parent_code for n in nodes}
    out: set[str] = set()
    for n in nodes:
        if n.level != NodeLevel.item:
            continue
        code: str | None = n.code
        while code is not None:
            if code in roots:
                out.add(n.code)
                break
            code = parent.get(code)
    return out


async def scope_for(actor: Actor, criteria_set_id: int) -> Scope:
    """What the actor may see of the set; refuses (403) people who see nothing at all."""
    if actor.kind == "officer":
        officer = await Officer.get_or_none(id=actor.id, active=True)
        if officer is None:
            raise NotAllowedError(Msg(N_("This account is disabled.")))
        return Scope(unit_id=officer.unit_id)  # type: ignore[attr-defined]
    user = await require_role(actor)
    if user is None or user.role == UserRole.admin:
        return Scope(everything=True, may_review=True)
    if user.role == UserRole.viewer:
        return Scope(everything=True)
    roots = set(
        await AppraiserAssignment.filter(
            user_id=user.id, criteria_set_id=criteria_set_id
        ).values_list("node_code", flat=True)
    )
    per_unit: dict[int, set[str]] = {}
    for unit_id, code in await AppraiserUnitAssignment.filter(
        user_id=user.id, criteria_set_id=criteria_set_id
    ).values_list("unit_id", "node_code"):
        per_unit.setdefault(unit_id, set()).add(code)
    if not roots and not per_unit:
        return Scope(may_review=True)
    nodes = (await outline(criteria_set_id)).nodes
    everything = {n.code for n in nodes if n.level == NodeLevel.item}
    return Scope(
        codes=frozenset(items_under(nodes, roots)),
        may_review=True,
        unit_codes={
            unit_id: frozenset(everything if "" in unit_roots else items_under(nodes, unit_roots))
            for unit_id, unit_roots in per_unit.items()
        },
    )


async def assign(
    actor: Actor, user_id: int, criteria_set_id: int, node_code: str
) -> AppraiserAssignment:
    """Make an appraiser responsible for a field or criterion of a set (administrators)."""
    await require_admin(actor)
    user, cset, node = await _checked(user_id, criteria_set_id, node_code)
    async with in_transaction():
        try:
            row = await AppraiserAssignment.create(
                user_id=user.id, criteria_set_id=cset.id, node_code=node.code
            )
        except IntegrityError:
            raise UserError(
                Msg(
                    N_("“{username}” is already assigned to “{code}”."),
                    username=user.username,
                    code=node.code,
                )
            ) from None
        await record(
            actor,
            "assignment.create",
            "appraiser_assignment",
            row.id,
            new={"user_id": user.id, "criteria_set_id": cset.id, "node_code": node.code},
        )
    return row


async def _checked(
    user_id: int, criteria_set_id: int, node_code: str, *, whole_unit: bool = False
) -> tuple[BackofficeUser, CriteriaSet, OutlineNode | None]:
    """The appraiser, the set and the field or criterion (None: the whole unit, when
    ``whole_unit`` allows it), or the sentence that says which of them is wrong."""
    user = await BackofficeUser.get_or_none(id=user_id)
    if user is None:
        raise NotFound(Msg(N_("There is no account with the id {id}."), id=user_id))
    if user.role != UserRole.appraiser:
        raise UserError(
            Msg(
                N_("Only appraisers can be assigned; “{username}” is not one."),
                username=user.username,
            )
        )
    cset = await CriteriaSet.get_or_none(id=criteria_set_id)
    if cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=criteria_set_id))
    if whole_unit and not node_code:
        return user, cset, None
    node = (await outline_of(cset)).by_code.get(node_code)
    if node is None or node.level == NodeLevel.item:
        raise UserError(
            Msg(
                N_("Assign a field or a criterion of the set; “{code}” is not one."),
                code=node_code,
            )
        )
    return user, cset, node


async def assign_unit(
    actor: Actor, user_id: int, criteria_set_id: int, unit_id: int, node_code: str = ""
) -> AppraiserUnitAssignment:
    """Make an appraiser responsible for one unit: every item (no ``node_code``) or those
    under a field or criterion of the unit's set (administrators)."""
    await require_admin(actor)
    node_code = node_code.strip()
    user, cset, node = await _checked(user_id, criteria_set_id, node_code, whole_unit=True)
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound(Msg(N_("There is no unit with the id {id}."), id=unit_id))
    if not await Assessment.exists(unit_id=unit.id, criteria_set_id=cset.id):
        raise UserError(
            Msg(
                N_("The unit “{unit}” is not assessed with the criteria set “{set}”."),
                unit=unit.name,
                set=cset.code,
            )
        )
    code = node.code if node is not None else ""
    async with in_transaction():
        try:
            row = await AppraiserUnitAssignment.create(
                user_id=user.id, unit_id=unit.id, criteria_set_id=cset.id, node_code=code
            )
        except IntegrityError:
            raise UserError(
                Msg(
                    N_("“{username}” is already assigned to “{code}” of “{unit}”."),
                    username=user.username,
                    code=code or "*",
                    unit=unit.name,
                )
            ) from None
        await record(
            actor,
            "assignment.create",
            "appraiser_unit_assignment",
            row.id,
            unit_id=unit.id,
            new={
                "user_id": user.id,
                "unit_id": unit.id,
                "criteria_set_id": cset.id,
                "node_code": code,
            },
        )
    return row


async def unassign_unit(actor: Actor, assignment_id: int) -> None:
    """End a unit assignment (administrators)."""
    await _unassign(actor, AppraiserUnitAssignment, "appraiser_unit_assignment", assignment_id)


async def unassign(actor: Actor, assignment_id: int) -> None:
    await _unassign(actor, AppraiserAssignment, "appraiser_assignment", assignment_id)


async def _unassign(
    actor: Actor,
    model: type[AppraiserAssignment] | type[AppraiserUnitAssignment],
    entity: str,
    assignment_id: int,
) -> None:
    await require_admin(actor)
    row = await model.get_or_none(id=assignment_id)
    if row is None:
        raise NotFound(Msg(N_("There is no assignment with the id {id}."), id=assignment_id))
    unit_id = getattr(row, "unit_id", None)
    old = {"user_id": row.user_id, "unit_id": unit_id}  # type: ignore[union-attr]
    old |= {"criteria_set_id": row.criteria_set_id, "node_code": row.node_code}  # type: ignore[union-attr]
    async with in_transaction():
        await model.filter(id=row.id).delete()
        await record(
            actor,
            "assignment.delete",
            entity,
            row.id,
            unit_id=unit_id,
            old={k: v for k, v in old.items() if k != "unit_id" or unit_id is not None},
        )


async def list_assignments(
    actor: Actor, *, user_id: int | None = None, criteria_set_id: int | None = None
) -> list[AppraiserAssignment]:
    """Everyone in the back-office may read who appraises what (appraisers see colleagues')."""
    await require_role(actor)
    query = AppraiserAssignment.filter(**given(user_id=user_id, criteria_set_id=criteria_set_id))
    return await query.order_by("criteria_set_id", "node_code", "user_id")


async def list_unit_assignments(
    actor: Actor, *, criteria_set_id: int | None = None
) -> list[AppraiserUnitAssignment]:
    """Who appraises what in which unit (every back-office role may read it)."""
    await require_role(actor)
    query = AppraiserUnitAssignment.filter(**given(criteria_set_id=criteria_set_id))
    return await query.order_by("criteria_set_id", "unit_id", "node_code", "user_id")
