"""Editing a partner group's member list (pure: validation and the new list, no store)."""

from __future__ import annotations

from collections.abc import Iterable

from chainwatch.analytics.trade.countries import invalid_iso3, parse_iso3_list
from chainwatch.errors import InputError


def edit_members(group_id: str, current: Iterable[str], *, members: str | Iterable[str] | None = None,
                 add: str | Iterable[str] | None = None,
                 remove: str | Iterable[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """The member list after replacing (``members``) and/or adding and removing ISO3 codes.

    Parameters
    ----------
    group_id : the group, for messages.
    current : its members now (empty for a new group).
    members : replace the list (codes as a list or ``"JPN, kor;DEU"``); None keeps ``current``.
    add, remove : codes to add / remove after the replacement.

    Returns
    -------
    (new members sorted, added sorted, removed sorted)

    Raises
    ------
    InputError
        ``trade.bad_iso3`` naming every unknown code; ``trade.not_member`` when removing a code that
        is not in the list; ``trade.group_empty`` when nothing would remain.

    Examples
    --------
    >>> edit_members("g", ["JPN", "KOR"], add="deu", remove=["KOR"])
    (['DEU', 'JPN'], ['DEU'], ['KOR'])
    """
    base = list(current)
    new_l, add_l, rem_l = parse_iso3_list(members), parse_iso3_list(add), parse_iso3_list(remove)
    bad = invalid_iso3([*new_l, *add_l, *rem_l])
    if bad:
        raise InputError("trade.bad_iso3", codes=", ".join(bad))
    result = list(new_l) if members is not None else list(base)
    not_in = [c for c in rem_l if c not in result]
    if not_in:
        raise InputError("trade.not_member", group=group_id, codes=", ".join(not_in))
    drop = set(rem_l)
    result = [c for c in dict.fromkeys([*result, *add_l]) if c not in drop]
    if not result:
        raise InputError("trade.group_empty", group=group_id)
    return sorted(result), sorted(set(result) - set(base)), sorted(set(base) - set(result))
