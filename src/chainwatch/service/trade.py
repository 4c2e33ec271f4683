"""Foreign-trade service: partner groups, trade by group/country/chain/segment/HS, segment import
dependence and concentration, revealed comparative advantage.

Surfaces call these methods; each returns a :class:`~chainwatch.service.result.Result` whose
``to_dict()`` field names are documented in ``docs/trade.md``. Money is 万元 (``meta["units"]``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chainwatch.analytics.trade import dependence as dep
from chainwatch.analytics.trade import growth, hs, rca
from chainwatch.analytics.trade.attribution import attribute_to_segments
from chainwatch.analytics.trade.countries import country_name
from chainwatch.analytics.trade.groups import edit_members
from chainwatch.errors import InputError, NotFound, UsageError
from chainwatch.i18n import t
from chainwatch.model.periods import Period
from chainwatch.service.result import Result
from chainwatch.store.reference import PARTNER_GROUPS

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

BY_CHOICES = ("group", "country", "chain", "segment", "hs")
FLOW_CHOICES = ("import", "export", "total", "all")
SOURCE_CHOICES = ("auto", "enterprise", "region")
HS_LEVELS = ("section", "chapter")
DEP_SCOPES = ("products", "enterprises")
DEP_SOURCES = ("trade", "supply_links")
GROUP_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
UNITS = "万元"
REPORTER = "CHN"  # the reporting country of the city's customs statistics
_PG_INSERT = ("INSERT INTO partner_group (group_id, name_zh, name_en, member, basis, as_of, editable) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)")


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    v = str(value).strip().lower()
    if v not in allowed:
        raise UsageError("trade.bad_choice", option=option, value=value, allowed=", ".join(allowed))
    return v


def _parse_date(text: str | date | None) -> date | None:
    if text is None or isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError("trade.bad_date", value=text) from None


class TradeService:
    """``cw.trade``: foreign-trade monitoring over ``trade_flow`` and ``partner_group``."""

    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    # ------------------------------------------------------------------ partner groups
    def _group_frame(self) -> pd.DataFrame:
        return self.store.df("SELECT * FROM partner_group ORDER BY group_id, member")

    def _group_info(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        lang = self.cw.lang
        out = []
        for gid, g in frame.groupby("group_id", sort=True):
            first = g.iloc[0]
            name = first["name_zh"] if lang == "zh" else (first["name_en"] or first["name_zh"])
            out.append({"group_id": gid, "name": name, "name_zh": first["name_zh"], "name_en": first["name_en"],
                        "n_members": int(len(g)), "basis": first["basis"], "as_of": _iso_date(first["as_of"]),
                        "editable": bool(first["editable"]), "members": sorted(g["member"].tolist())})
        return out

    def _require_group(self, group_id: str) -> pd.DataFrame:
        frame = self._group_frame()
        g = frame[frame["group_id"] == group_id]
        if g.empty:
            known = ", ".join(sorted(frame["group_id"].unique()))
            raise NotFound("trade.unknown_group", group=group_id, known=known)
        return g

    def groups(self) -> Result:
        """All partner groups with members, basis text and as-of date (table ``groups``)."""
        info = self._group_info(self._group_frame())
        text = [t("trade.groups.overlap_note", self.cw.lang)]
        return Result("trade.groups", self.cw.meta(groups_overlap=True), {"groups": info}, text)

    def group(self, group_id: str) -> Result:
        """One group: its metadata in ``meta["group"]`` and its members with names (table ``members``)."""
        g = self._require_group(group_id)
        info = self._group_info(g)[0]
        lang = self.cw.lang
        members = [{"iso3": m, "name": country_name(m, lang)} for m in info["members"]]
        other = self._group_frame()
        overlaps = []
        for oid, og in other[other["group_id"] != group_id].groupby("group_id"):
            common = sorted(set(og["member"]) & set(info["members"]))
            if common:
                overlaps.append({"group_id": oid, "n_common": len(common), "common": common})
        text = [t("trade.basis_line", lang, name=info["name"], basis=info["basis"] or "—",
                  as_of=info["as_of"] or "—")]
        meta = self.cw.meta(group={k: v for k, v in info.items() if k != "members"})
        return Result("trade.group", meta, {"members": members, "overlaps": overlaps}, text)

    def set_group(self, group_id: str, *, members: str | list[str] | None = None,
                  add: str | list[str] | None = None, remove: str | list[str] | None = None,
                  basis: str | None = None, as_of: str | date | None = None, name_zh: str | None = None,
                  name_en: str | None = None) -> Result:
        """Create or edit a partner group (members, basis text, as-of date, names); audited.

        ``members`` replaces the member list; ``add``/``remove`` edit it. Unknown ISO3 codes, an
        empty result, a locked group or a malformed id raise :class:`InputError`.
        """
        gid = str(group_id).strip()
        if not GROUP_ID_RE.match(gid):
            raise InputError("trade.bad_group_id", group=group_id)
        frame = self._group_frame()
        cur = frame[frame["group_id"] == gid]
        as_of_d = _parse_date(as_of)
        if cur.empty:
            if not name_zh:
                raise InputError("trade.new_group_name", group=gid)
            base: list[str] = []
            old = {"name_zh": name_zh, "name_en": name_en, "basis": basis, "as_of": as_of_d}
        else:
            first = cur.iloc[0]
            if not bool(first["editable"]):
                raise InputError("trade.group_locked", group=gid)
            base = cur["member"].tolist()
            old = {"name_zh": first["name_zh"], "name_en": first["name_en"], "basis": first["basis"],
                   "as_of": first["as_of"]}
        result, added, removed = edit_members(gid, base, members=members, add=add, remove=remove)
        rec = {"name_zh": name_zh or old["name_zh"], "name_en": name_en if name_en is not None else old["name_en"],
               "basis": basis if basis is not None else old["basis"],
               "as_of": as_of_d if as_of_d is not None else old["as_of"]}
        with self.store.transaction() as con:
            con.execute("DELETE FROM partner_group WHERE group_id = ?", [gid])
            con.executemany(_PG_INSERT,
                            [(gid, rec["name_zh"], rec["name_en"], m, rec["basis"], rec["as_of"], True)
                             for m in sorted(result)])
        detail = f"members={len(result)} added={','.join(added) or '-'} removed={','.join(removed) or '-'}"
        if basis is not None:
            detail += f" basis={basis!r}"
        if as_of_d is not None:
            detail += f" as_of={as_of_d}"
        self.store.audit(self.cw.actor, "trade.group.set", gid, detail)
        out = self.group(gid)
        out.command = "trade.group.set"
        out.meta.update(added=added, removed=removed, created=cur.empty)
        out.text.insert(0, t("trade.group_saved", self.cw.lang, group=gid, n=len(result),
                             added=", ".join(added) or "—", removed=", ".join(removed) or "—"))
        return out

    def reset_group(self, group_id: str) -> Result:
        """Restore one of the shipped default groups (rcep, bri, asean, eu) to its documented list."""
        defaults = {g[0]: g for g in PARTNER_GROUPS}
        if group_id not in defaults:
            raise NotFound("trade.no_default", group=group_id, known=", ".join(defaults))
        gid, zh, en, members, basis, as_of = defaults[group_id]
        with self.store.transaction() as con:
            con.execute("DELETE FROM partner_group WHERE group_id = ?", [gid])
            con.executemany(_PG_INSERT,
                            [(gid, zh, en, m, basis, as_of, True) for m in members])
        self.store.audit(self.cw.actor, "trade.group.reset", gid, f"members={len(members)}")
        out = self.group(gid)
        out.command = "trade.group.reset"
        return out

    def delete_group(self, group_id: str) -> Result:
        """Delete a group (audited); the defaults can be brought back with :meth:`reset_group`."""
        g = self._require_group(group_id)
        if not bool(g.iloc[0]["editable"]):
            raise InputError("trade.group_locked", group=group_id)
        self.store.execute("DELETE FROM partner_group WHERE group_id = ?", [group_id])
        self.store.audit(self.cw.actor, "trade.group.delete", group_id, f"members={len(g)}")
        return Result("trade.group.delete", self.cw.meta(group_id=group_id),
                      text=[t("trade.group_deleted", self.cw.lang, group=group_id)])

    # ------------------------------------------------------------------ which trade rows
    def _row_filter(self, source: str = "auto", need_enterprise: bool = False) -> tuple[str, list[Any], str]:
        """SQL condition on ``tf`` choosing enterprise rows or top-level region rows, within cw.scope."""
        source = _choice(source, SOURCE_CHOICES, "--source")
        scope = self.cw.scope
        regions = [r[0] for r in self.store.rows(
            "SELECT DISTINCT region FROM trade_flow WHERE uscc IS NULL AND region IS NOT NULL")]
        if scope:
            regions = [r for r in regions if any(r.startswith(d) for d in scope)]
        has_ent = bool(self.store.scalar("SELECT count(*) > 0 FROM (SELECT 1 FROM trade_flow WHERE uscc IS NOT NULL LIMIT 1) t"))
        use = source
        if need_enterprise:
            use = "enterprise"
        elif source == "auto":
            use = "region" if regions else "enterprise"
        if use == "region":
            if not regions:
                raise NotFound("trade.no_region_rows")
            top = sorted(r for r in regions if not any(r != o and r.startswith(o) for o in regions))
            marks = ", ".join("?" for _ in top)
            return f"tf.uscc IS NULL AND tf.region IN ({marks})", top, "region"
        if not has_ent and source != "auto":
            raise NotFound("trade.no_enterprise_rows")
        if scope:
            marks = ", ".join("?" for _ in scope)
            return (f"tf.uscc IS NOT NULL AND tf.uscc IN (SELECT uscc FROM enterprise WHERE district IN ({marks}))",
                    list(scope), "enterprise")
        return "tf.uscc IS NOT NULL", [], "enterprise"

    def _flows(self, dims: list[str], cond: str, params: list[Any], years: list[int], max_month: int,
               extra_join: str = "") -> pd.DataFrame:
        dim_sql = ", ".join(dims)
        sel = f"{dim_sql}, " if dims else ""
        yrs = ", ".join(str(int(y)) for y in years)
        sql = (f"SELECT {sel}tf.flow, tf.year, tf.month, sum(tf.value) AS value FROM trade_flow tf {extra_join} "
               f"WHERE {cond} AND tf.year IN ({yrs}) AND tf.month <= {int(max_month)} "
               f"GROUP BY {', '.join(str(i) for i in range(1, len(dims) + 4))}")
        return self.store.df(sql, params)

    def latest_period(self) -> Period | None:
        """The latest period with trade data, or None."""
        p = self.store.scalar("SELECT max(period) FROM trade_flow")
        return Period.parse(p) if p else None

    # ------------------------------------------------------------------ summary
    def summary(self, period: str | Period | None = None, by: str = "group", flow: str = "all", *,
                hs_level: str = "section", group: str | None = None, top: int = 0, source: str = "auto",
                attribution: str = "products") -> Result:
        """Imports and exports by ``by``: levels, shares, 当月/累计同比, contribution and pull.

        Tables ``rows`` (one per key and flow) and ``total`` (one per flow). See docs/trade.md.
        """
        lang = self.cw.lang
        by = _choice(by, BY_CHOICES, "--by")
        flow = _choice(flow, FLOW_CHOICES, "--flow")
        hs_level = _choice(hs_level, HS_LEVELS, "--hs-level")
        attribution = _choice(attribution, DEP_SCOPES, "--attribution")
        per = self._period(period)
        flows = growth.FLOWS if flow == "all" else (flow,)
        need_ent = by in ("chain", "segment") and attribution == "enterprises"
        cond, params, used = self._row_filter(source, need_enterprise=need_ent)
        years, maxm = [per.year - 1, per.year], max(per.month, 2)
        totals = self._flows([], cond, params, years, maxm)
        cur = totals[(totals["year"] == per.year) & totals["month"].isin(per.cumulative_months)]
        if cur.empty or not cur["month"].isin(per.official_months).any():
            raise NotFound("trade.no_data", period=str(per))
        members = self._group_frame()
        meta_groups: list[dict[str, Any]] = []
        notes: list[str] = []
        key_name: dict[str, str] = {}
        extra: dict[str, dict[str, Any]] = {}
        if by in ("group", "country"):
            items = self._flows(["tf.partner"], cond, params, years, maxm)
            if group:
                g = self._require_group(group)
                items = items[items["partner"].isin(set(g["member"]))]
                meta_groups = [{k: v for k, v in i.items() if k != "members"} for i in self._group_info(g)]
            if by == "group":
                # the reporter's own country is never a partner of its own trade (classifications.md §5.1):
                # CHN stays a member of RCEP as data, but re-imports from CHN are not RCEP trade
                items = growth.attach_groups(items, members[members["member"] != REPORTER])
                if not group:
                    meta_groups = [{k: v for k, v in i.items() if k != "members"} for i in self._group_info(members)]
                else:
                    items = items[items["key"] == group]
                key_name = {g["group_id"]: g["name"] for g in meta_groups}
                notes.append(t("trade.note.groups_overlap", lang))
            else:
                items = items.rename(columns={"partner": "key"})
                key_name = {k: country_name(k, lang) for k in items["key"].unique()}
                member_of = members.groupby("member")["group_id"].apply(lambda g: ",".join(sorted(g)))
                extra = {k: {"groups": member_of.get(k, "")} for k in items["key"].unique()}
        elif by == "hs":
            items = self._flows(["substr(tf.hs_code, 1, 2) AS chapter"], cond, params, years, maxm)
            if hs_level == "section":
                items["key"] = hs.section_series(items["chapter"])
                key_name = {k: hs.section_label(k, lang) for k in items["key"].unique()}
            else:
                items["key"] = items["chapter"]
                desc = dict(self.store.rows("SELECT code, description FROM hs_code WHERE level = 2"))
                key_name = {k: self._chapter_name(k, desc.get(k)) for k in items["key"].unique()}
            items = items.drop(columns="chapter")
        else:
            items, key_name, extra = self._chain_items(by, attribution, cond, params, years, maxm)
            if attribution == "enterprises":
                notes.append(t("trade.note.segments_overlap", lang))
        if not len(items):
            items = pd.DataFrame(columns=["key", "flow", "year", "month", "value"])
        additive = self._additive(items, per)
        rows, total = growth.trade_growth(items[["key", "flow", "year", "month", "value"]], totals, per,
                                          key="key", flows=flows)
        rows.insert(1, "name", rows["key"].map(key_name).fillna(rows["key"]))
        pos = 2
        for col in ("chain_id", "position", "groups"):
            if extra and col in next(iter(extra.values()), {}):
                rows.insert(pos, col, rows["key"].map(lambda k, c=col: extra.get(k, {}).get(c)))
                pos += 1
        if top and top > 0:
            rows = rows.groupby("flow", sort=False, group_keys=False).head(int(top)).reset_index(drop=True)
        prior = totals[(totals["year"] == per.year - 1) & totals["month"].isin(per.cumulative_months)]
        if prior.empty:
            notes.append(t("trade.note.no_prior", lang, year=per.year - 1))
        for yr, frame in ((per.year, cur), (per.year - 1, prior)):
            missing = sorted(set(per.cumulative_months) - set(frame["month"].astype(int)))
            if missing and not frame.empty:
                notes.append(t("trade.note.missing_months", lang, year=yr, months=", ".join(map(str, missing))))
        if not additive and by != "group":
            notes.append(t("trade.note.not_additive", lang))
        text = [t("trade.basis_line", lang, name=g["name"], basis=g["basis"] or "—", as_of=g["as_of"] or "—")
                for g in meta_groups]
        text += notes
        text += self._headlines(rows, total, per, by)
        signed = cur.assign(v=np.where(cur["flow"] == "export", cur["value"], -cur["value"]))
        balance = {"ytd_value": float(signed["v"].sum()),
                   "month_value": float(signed.loc[signed["month"].isin(per.official_months), "v"].sum())}
        meta = self.cw.meta(
            balance=balance,
            period=str(per), month_label=per.label(lang), ytd_label=per.label(lang, cumulative=True),
            months=list(per.official_months), ytd_months=list(per.cumulative_months), by=by, flow=flow,
            hs_level=hs_level if by == "hs" else None, group=group, units=UNITS, source=used,
            attribution=attribution if by in ("chain", "segment") else None, growth_basis="computed",
            additive=additive, groups=meta_groups, notes=notes)
        return Result("trade.summary", meta, {"rows": rows, "total": total}, text)

    def _additive(self, items: pd.DataFrame, per: Period) -> bool:
        if "_row" in items.columns:
            return not bool(items["_row"].duplicated().any())
        if "partner" in items.columns:  # groups: a partner under two keys in the same window
            sel = items[(items["year"] == per.year)]
            return not bool(sel.duplicated(["partner", "flow", "year", "month"]).any())
        return True

    def _chapter_name(self, chapter: str, description: str | None) -> str:
        if hs.CHAPTER_SECTION.get(chapter) is None:
            return hs.section_label(hs.UNCLASSIFIED, self.cw.lang) + f" ({chapter})"
        label = t("trade.chapter", self.cw.lang, chapter=chapter)
        return f"{label} {description}" if description else label

    def _segments(self, chain: str | None = None) -> pd.DataFrame:
        sql = ("SELECT s.segment_id, s.chain_id, s.name_zh, s.name_en, s.position, c.name_zh AS chain_zh, "
               "c.name_en AS chain_en FROM segment s LEFT JOIN chain c USING (chain_id)")
        params: list[Any] = []
        if chain:
            if not self.store.scalar("SELECT count(*) FROM chain WHERE chain_id = ?", [chain]):
                raise NotFound("trade.unknown_chain", chain=chain)
            sql += " WHERE s.chain_id = ?"
            params = [chain]
        return self.store.df(sql + " ORDER BY s.chain_id, s.segment_id", params)

    def _name(self, zh: Any, en: Any) -> str:
        return str(zh if self.cw.lang == "zh" or not isinstance(en, str) or not en else en)

    def _chain_items(self, by: str, attribution: str, cond: str, params: list[Any], years: list[int],
                     maxm: int) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[str, Any]]]:
        segs = self._segments()
        key = "segment_id" if by == "segment" else "chain_id"
        if by == "segment":
            names = {r.segment_id: self._name(r.name_zh, r.name_en) for r in segs.itertuples()}
            extra = {r.segment_id: {"chain_id": r.chain_id, "position": r.position} for r in segs.itertuples()}
        else:
            names = {r.chain_id: self._name(r.chain_zh, r.chain_en) for r in segs.drop_duplicates("chain_id").itertuples()}
            extra = {}
        if attribution == "products":
            # each trade row split among the segments whose product it is (one rule: segment_flows)
            flows_ = self._flows(["tf.uscc", "tf.hs_code"], cond, params, years, maxm)
            items = self.attribute(flows_)
            if key == "chain_id":
                chain_of = dict(zip(segs["segment_id"], segs["chain_id"], strict=True))
                items["chain_id"] = items["segment_id"].map(chain_of)
        else:
            flows_ = self._flows(["tf.uscc"], cond, params, years, maxm)
            flows_["_row"] = np.arange(len(flows_))
            se = self.store.df("SELECT se.segment_id, s.chain_id, se.uscc FROM segment_enterprise se "
                               "JOIN segment s USING (segment_id)")
            items = flows_.merge(se[[key, "uscc"]].drop_duplicates(), on="uscc", how="inner")
        return items.rename(columns={key: "key"}), names, extra

    def _headlines(self, rows: pd.DataFrame, total: pd.DataFrame, per: Period, by: str) -> list[str]:
        lang = self.cw.lang
        out: list[str] = []
        if total.empty:
            return out
        flow = "total" if "total" in set(total["flow"]) else str(total["flow"].iloc[0])
        what = t(f"trade.what.{flow}", lang)
        r = total[total["flow"] == flow].iloc[0]
        out.append(t("trade.headline.total", lang, label=per.label(lang, cumulative=True), year=per.year,
                     what=what, value=_fmt(r["ytd_value"]), yoy=_pct(r["ytd_yoy_pct"], lang)))
        if by == "group":
            for g in rows[rows["flow"] == flow].itertuples():
                out.append(t("trade.headline.group", lang, name=g.name, what=what,
                             value=_fmt(g.ytd_value), yoy=_pct(g.ytd_yoy_pct, lang), share=_num(g.share_pct),
                             contribution=_num(g.contribution_pct)))
        return out

    def _period(self, period: str | Period | None) -> Period:
        if period is None:
            latest = self.latest_period()
            if latest is None:
                raise NotFound("trade.no_trade")
            return latest
        return period if isinstance(period, Period) else Period.parse(str(period))

    # ------------------------------------------------------------------ segment dependence
    def segment_dependence(self, period: str | Period | None = None, *, year: int | None = None,
                           chain: str | None = None, scope: str = "products", source: str = "trade",
                           top_origins: int = 5) -> Result:
        """Import dependence of every segment by origin country, with HHI, CR1 and an explanation.

        Parameters
        ----------
        period : 'YYYY-MM': the cumulative months 1..m of that year; or ``year`` for a whole year.
            Default: the cumulative span to the latest period with trade data.
        chain : restrict to one chain's segments.
        scope : ``products`` — the city's imports of the segment's HS products (any importer);
            ``enterprises`` — only those imported by the segment's own enterprises.
        source : ``trade`` (trade_flow) or ``supply_links`` (external suppliers of the segment's
            products by supplier country, one year).
        top_origins : origins per segment in table ``origins`` (0 = all).

        Returns
        -------
        Result with tables ``segments``, ``origins``, ``products``; ``meta["window"]``.
        """
        scope = _choice(scope, DEP_SCOPES, "--scope")
        source = _choice(source, DEP_SOURCES, "--source")
        if period is not None and year is not None:
            raise UsageError("trade.period_or_year")
        segs = self._segments(chain)
        if source == "supply_links":
            yr = int(year) if year is not None else (self._period(period).year if period is not None
                                                     else self._latest_link_year())
            imports, exports, q, label, window = self._links_dependence_input(yr, chain)
            months: tuple[int, ...] = tuple(range(1, 13))
        else:
            yr, months, label = self._dep_window(period, year)
            imports, exports, q = self._trade_dependence_input(yr, months, scope)
            window = {"year": yr, "months": list(months), "label": label}
        conc = dep.origin_concentration(imports, unit="segment_id") if len(imports) else None
        table = self._dependence_table(segs, imports, exports, q, source, conc)
        lang = self.cw.lang
        origins = (conc["origins"] if conc else pd.DataFrame(columns=["segment_id", "partner", "value", "share", "rank"]))
        origins = origins[origins["segment_id"].isin(set(segs["segment_id"]))].copy()
        if top_origins and top_origins > 0:
            origins = origins[origins["rank"] <= int(top_origins)]
        origins["name"] = origins["partner"].map(lambda c: country_name(c, lang))
        origins["share_pct"] = origins["share"] * 100.0
        origins = origins[["segment_id", "partner", "name", "value", "share_pct", "rank"]].reset_index(drop=True)
        products = (conc["products"] if conc else pd.DataFrame(
            columns=["segment_id", "product", "imports", "hhi", "cr1", "top_partner", "n_origins"])).copy()
        products = products[products["segment_id"].isin(set(segs["segment_id"]))]
        products["cr1_pct"] = products["cr1"] * 100.0
        products = products.rename(columns={"top_partner": "top_country"})[
            ["segment_id", "product", "imports", "hhi", "cr1_pct", "top_country", "n_origins"]].reset_index(drop=True)
        text = [t("trade.dep.title", lang, label=label)]
        flagged = table[table["critical"] | (table["cr1_pct"].fillna(0) >= 50.0)]
        text += flagged["explanation"].tolist()
        meta = self.cw.meta(window=window, scope=scope, source=source, chain=chain, units=UNITS,
                            bands={"moderate": dep.BAND_MODERATE, "high": dep.BAND_HIGH},
                            critical_rule={"hhi_gt": dep.CRITICAL_HHI, "dependence_gt": dep.CRITICAL_ID,
                                           "imports_over_exports_gt": 1.0},
                            estimate=True, notes=[t("trade.dep.note_output", lang)])
        return Result("trade.dependence", meta, {"segments": table, "origins": origins, "products": products}, text)

    def _dep_window(self, period: str | Period | None, year: int | None) -> tuple[int, tuple[int, ...], str]:
        lang = self.cw.lang
        if year is not None:
            yr = int(year)
            months = tuple(int(m) for (m,) in self.store.rows(
                "SELECT DISTINCT month FROM trade_flow WHERE year = ? ORDER BY month", [yr]))
            if not months:
                raise NotFound("trade.no_data", period=str(yr))
            p = Period(yr, max(months))
            label = f"{yr}年" if len(months) == 12 and lang == "zh" else (
                str(yr) if len(months) == 12 else f"{yr} {p.label(lang, cumulative=True)}")
            return yr, tuple(range(1, max(months) + 1)), label
        per = self._period(period)
        return per.year, per.cumulative_months, f"{per.year} {per.label(lang, cumulative=True)}"

    def _latest_link_year(self) -> int:
        y = self.store.scalar("SELECT max(year) FROM supply_link")
        if y is None:
            raise NotFound("trade.no_links")
        return int(y)

    # ------------------------------------------------------------------ the one attribution of trade to segments
    def attribute(self, rows: pd.DataFrame, *, values: tuple[str, ...] = ("value",)) -> pd.DataFrame:
        """Split HS-coded trade rows among the segments whose products they are.

        The rule of :func:`chainwatch.analytics.trade.attribution.attribute_to_segments` (importer's
        inputs, then its own segments, else apportioned) on this database's chain maps. ``rows`` needs
        ``hs_code``, ``flow``, the ``values`` columns and ``uscc`` (null for region-level rows).
        """
        prods = self.store.df("SELECT segment_id, hs_code FROM segment_product")
        members = self.store.df("SELECT segment_id, uscc FROM segment_enterprise")
        edges = self.store.df("SELECT from_segment, to_segment FROM segment_edge")
        if "uscc" not in rows.columns:
            rows = rows.assign(uscc=None)
        return attribute_to_segments(rows, prods, members, edges, values=values)

    def segment_flows(self, first: str | Period, last: str | Period, *, scope: str = "products",
                      by_month: bool = False, scoped: bool = True) -> pd.DataFrame:
        """Imports and exports of every segment's products in the months ``first``..``last``.

        This is the single computation behind every segment import figure (``chainwatch trade
        dependence``, ``chainwatch chains``, the warning engine's import dependence): the city's trade
        rows (enterprise rows, or region rows when the database has them — the ``auto`` source) are
        attributed with :meth:`attribute`, so a shared HS code is counted once, not once per segment.

        Parameters
        ----------
        first, last : 'YYYY-MM' bounds of the window (inclusive).
        scope : ``products`` — every importer's trade of the segment's products; ``enterprises`` —
            only the attributed trade of the segment's own member enterprises.
        by_month : keep ``year`` and ``month`` columns (monthly series) instead of summing the window.
        scoped : restrict to the enterprises of ``cw.scope`` (a district official); False for
            city-wide structural figures.

        Returns
        -------
        DataFrame ``segment_id, product, partner, flow, value[, year, month], basis`` (万元).
        """
        scope = _choice(scope, DEP_SCOPES, "--scope")
        lo, hi = str(Period.parse(str(first))), str(Period.parse(str(last)))
        if scoped:
            cond, params, _ = self._row_filter("auto", need_enterprise=(scope == "enterprises"))
        else:
            has_region = bool(self.store.scalar(
                "SELECT count(*) > 0 FROM (SELECT 1 FROM trade_flow WHERE uscc IS NULL AND region IS NOT NULL LIMIT 1)"))
            cond, params = ("tf.uscc IS NULL AND tf.region IS NOT NULL" if has_region and scope == "products"
                            else "tf.uscc IS NOT NULL"), []
        dims = "tf.uscc, tf.hs_code, tf.partner, tf.flow" + (", tf.year, tf.month" if by_month else "")
        raw = self.store.df(f"SELECT {dims}, sum(tf.value) AS value FROM trade_flow tf WHERE {cond} "
                            f"AND tf.period >= ? AND tf.period <= ? GROUP BY {dims}", [*params, lo, hi])
        cols = ["segment_id", "product", "partner", "flow", "value", *(["year", "month"] if by_month else []), "basis"]
        if raw.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        att = self.attribute(raw)
        if scope == "enterprises":
            se = self.store.df("SELECT segment_id, uscc FROM segment_enterprise")
            att = att.merge(se.drop_duplicates(), on=["segment_id", "uscc"], how="inner")
        keys = [c for c in cols if c not in ("value", "basis")]
        basis = att.groupby(keys, dropna=False)["basis"].first()
        out = att.groupby(keys, dropna=False, as_index=False)["value"].sum()
        out["basis"] = basis.to_numpy()
        return out[cols]

    def segment_output(self, first: str | Period, last: str | Period, *, scoped: bool = True) -> pd.Series:
        """Local output Q per segment in ``first``..``last`` (see :meth:`_segment_output`)."""
        lo, hi = Period.parse(str(first)), Period.parse(str(last))
        return self._segment_output_window(str(lo), str(hi), scoped=scoped)

    def _trade_dependence_input(self, yr: int, months: tuple[int, ...], scope: str
                                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
        first, last = f"{yr:04d}-{min(months):02d}", f"{yr:04d}-{max(months):02d}"
        flows = self.segment_flows(first, last, scope=scope)
        if flows.empty and not self.store.scalar(
                "SELECT count(*) FROM trade_flow WHERE period >= ? AND period <= ?", [first, last]):
            raise NotFound("trade.no_data", period=f"{yr}")
        cols = ["segment_id", "product", "partner", "value"]
        imports = flows[flows["flow"] == "import"][cols]
        exports = flows[flows["flow"] == "export"][cols]
        q = self._segment_output(yr, months)
        return imports.reset_index(drop=True), exports.reset_index(drop=True), q

    def _segment_output(self, yr: int, months: tuple[int, ...]) -> pd.Series:
        """Local output Q per segment in the window: each firm's gross output counted once per chain,
        in its main segment (risk-methods §1.5, the chain analytics' ``assign_output``).

        Segments without member firms produce nothing locally: Q = 0. Segments whose firms report
        no output at all in the window: unknown (absent from the series → null dependence).
        """
        return self._segment_output_window(f"{yr:04d}-{min(months):02d}", f"{yr:04d}-{max(months):02d}")

    def _segment_output_window(self, first: str, last: str, *, scoped: bool = True) -> pd.Series:
        from chainwatch.analytics.chains.indicators import assign_output

        params: list[Any] = []
        scope_sql = ""
        if self.cw.scope and scoped:
            scope_sql = f" WHERE e.district IN ({', '.join('?' for _ in self.cw.scope)})"
            params = list(self.cw.scope)
        members = self.store.df(
            "SELECT se.segment_id, s.chain_id, se.uscc, se.is_main FROM segment_enterprise se "
            f"JOIN segment s USING (segment_id) JOIN enterprise e ON e.uscc = se.uscc{scope_sql}", params)
        output = self.store.df(
            "SELECT uscc, sum(gross_output) AS output FROM monthly_value "
            "WHERE period >= ? AND period <= ? AND gross_output IS NOT NULL GROUP BY uscc", [first, last])
        segs = self.store.df("SELECT segment_id FROM segment")["segment_id"]
        q = pd.Series(0.0, index=segs.values)
        if members.empty:
            return q
        assigned = assign_output(members, output)
        known = assigned.groupby("segment_id")["output"].apply(lambda s: s.notna().any())
        total = assigned.groupby("segment_id")["assigned"].sum(min_count=1).fillna(0.0)
        q.loc[total.index] = total.astype(float)
        return q.drop(index=known[~known].index)

    def _links_dependence_input(self, yr: int, chain: str | None
                                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, str, dict[str, Any]]:
        params: list[Any] = [yr]
        scope_sql = ""
        if self.cw.scope:
            scope_sql = (f" AND sl.buyer_uscc IN (SELECT uscc FROM enterprise WHERE district IN "
                         f"({', '.join('?' for _ in self.cw.scope)}))")
            params += list(self.cw.scope)
        links = self.store.df(
            "SELECT sl.segment_id, sl.hs_code, sl.buyer_uscc, sl.supplier_country AS partner, sl.annual_value AS value "
            f"FROM supply_link sl WHERE sl.year = ? AND sl.annual_value IS NOT NULL{scope_sql}", params)
        if links.empty:
            raise NotFound("trade.no_links_year", year=yr)
        known = links[links["segment_id"].notna()].copy()
        known["product"] = known["hs_code"].fillna(known["segment_id"])
        unknown = links[links["segment_id"].isna() & links["hs_code"].notna()].drop(columns="segment_id")
        if len(unknown):  # links without a segment: the buyer imports the product (same rule as trade rows)
            unknown = self.attribute(unknown.rename(columns={"buyer_uscc": "uscc"}).assign(flow="import"))
            unknown["product"] = unknown["hs_code"]
        allk = pd.concat([known, unknown], ignore_index=True)
        foreign = allk[allk["partner"].fillna("CHN") != "CHN"][["segment_id", "product", "partner", "value"]]
        total = allk.groupby("segment_id")["value"].sum()
        # links: dependence = foreign / all linked purchases, expressed through q = domestic purchases
        q = total - foreign.groupby("segment_id")["value"].sum().reindex(total.index).fillna(0.0)
        label = f"{yr}年" if self.cw.lang == "zh" else str(yr)
        return (foreign.reset_index(drop=True), foreign.iloc[0:0], q, label,
                {"year": yr, "months": list(range(1, 13)), "label": label})

    def _dependence_table(self, segs: pd.DataFrame, imports: pd.DataFrame, exports: pd.DataFrame,
                          q: pd.Series, source: str, conc: dict[str, pd.DataFrame] | None) -> pd.DataFrame:
        lang = self.cw.lang
        has_products = set(self.store.df("SELECT DISTINCT segment_id FROM segment_product")["segment_id"])
        out = dep.segment_table(segs, imports, exports, q,
                                with_products=has_products if source == "trade" else None,
                                share_of_purchases=source == "supply_links", concentration=conc)
        out.insert(2, "name", [self._name(a, b) for a, b in zip(segs["name_zh"], segs["name_en"], strict=True)])
        out.insert(out.columns.get_loc("top_country") + 1, "top_country_name",
                   out["top_country"].map(lambda c: country_name(c, lang) if isinstance(c, str) else None))
        out["explanation"] = [self._explain(r) for r in out.to_dict("records")]
        return out

    def _explain(self, r: dict[str, Any]) -> str:
        lang = self.cw.lang
        if r["status"] == "no_products":
            return t("trade.dep.no_products", lang, segment=r["name"])
        if r["status"] == "no_imports":
            return t("trade.dep.no_imports", lang, segment=r["name"])
        dep_txt = (_num(r["import_dependence_pct"]) + "%") if pd.notna(r["import_dependence_pct"]) else (
            t(f"trade.dep.method.{r['dependence_method']}", lang))
        text = t("trade.dep.explain", lang, segment=r["name"], imports=_fmt(r["imports"]),
                 cr1=_num(r["cr1_pct"]), country=r["top_country_name"], n=r["n_origins"],
                 hhi=f"{r['hhi']:.2f}", band=t(f"trade.band.{r['band']}", lang), dep=dep_txt)
        if r["dependence_method"] == "fallback":
            text += t("trade.dep.fallback_suffix", lang)
        if r["critical"]:
            text += t("trade.dep.critical_suffix", lang)
        return text

    # ------------------------------------------------------------------ RCA and world reference
    def import_world(self, path: str | Path, *, year: int | None = None, unit: str = "USD",
                     source_name: str | None = None) -> Result:
        """Import world exports by HS section (OEC/BACI layout or ``section,value[,year]``); replaces
        the stored years it contains. Audited."""
        p = Path(path)
        if not p.is_file():
            raise InputError("import.file_missing", file=str(path))
        try:
            frame = pd.read_csv(p, encoding="utf-8-sig") if p.suffix.lower() != ".xlsx" else pd.read_excel(p)
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
            raise InputError("import.unreadable", file=str(path), detail=str(exc).splitlines()[0]) from None
        if frame.empty:
            raise InputError("import.empty", file=str(path))
        data = rca.normalise_world_exports(frame, year)
        now = datetime.now()
        with self.store.transaction() as con:
            for y in sorted(data["year"].unique()):
                con.execute("DELETE FROM trade_world_export WHERE year = ?", [int(y)])
            con.executemany("INSERT INTO trade_world_export (year, section, value, unit, n_exporters, source, "
                            "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [(int(r.year), r.section, float(r.value), unit, int(r.n_exporters),
                              source_name or p.name, now) for r in data.itertuples()])
        self.store.audit(self.cw.actor, "trade.world.import", p.name,
                         f"years={sorted(int(y) for y in data['year'].unique())} rows={len(data)}")
        text = [t("trade.world.imported", self.cw.lang, file=p.name, n=len(data),
                  years=", ".join(str(int(y)) for y in sorted(data["year"].unique())),
                  exporters=int(data["n_exporters"].max()))]
        return Result("trade.world.import", self.cw.meta(unit=unit), {"world": data}, text)

    def world(self) -> Result:
        """The stored world reference: one row per year (sections, total, unit, source)."""
        df = self.store.df("SELECT year, count(*) AS sections, sum(value) AS total, any_value(unit) AS unit, "
                           "max(n_exporters) AS n_exporters, any_value(source) AS source FROM trade_world_export "
                           "GROUP BY year ORDER BY year")
        return Result("trade.world", self.cw.meta(), {"years": df})

    def rca(self, year: int | None = None, *, world_year: int | None = None) -> Result:
        """Balassa RCA of the city's exports by HS section against the world reference (table ``sections``)."""
        lang = self.cw.lang
        if year is None:
            latest = self.latest_period()
            if latest is None:
                raise NotFound("trade.no_trade")
            year = latest.year
        years = [int(r[0]) for r in self.store.rows("SELECT DISTINCT year FROM trade_world_export ORDER BY year")]
        if not years:
            raise NotFound("trade.world_missing")
        wy = int(world_year) if world_year is not None else (year if year in years else min(
            years, key=lambda y: (abs(y - year), -y)))
        if wy not in years:
            raise NotFound("trade.world_year_missing", year=wy, years=", ".join(map(str, years)))
        cond, params, used = self._row_filter("auto")
        city = self.store.df(
            f"SELECT substr(tf.hs_code, 1, 2) AS chapter, sum(tf.value) AS value, count(DISTINCT tf.month) AS n "
            f"FROM trade_flow tf WHERE {cond} AND tf.flow = 'export' AND tf.year = {int(year)} GROUP BY chapter",
            params)
        if city.empty:
            raise NotFound("trade.no_exports", year=year)
        months = int(self.store.scalar(
            f"SELECT count(DISTINCT tf.month) FROM trade_flow tf WHERE {cond} AND tf.year = {int(year)}", params))
        city["section"] = hs.section_series(city["chapter"])
        unclassified = float(city.loc[city["section"] == hs.UNCLASSIFIED, "value"].sum())
        by_sec = city[city["section"] != hs.UNCLASSIFIED].groupby("section")["value"].sum()
        world = self.store.df("SELECT section, value FROM trade_world_export WHERE year = ?", [wy])
        table = rca.city_rca(by_sec, world.set_index("section")["value"])
        table.insert(1, "name", table["section"].map(lambda s: hs.section_label(s, lang)))
        notes = []
        if wy != year:
            notes.append(t("trade.rca.other_year", lang, year=year, world_year=wy))
        if months < 12:
            notes.append(t("trade.rca.partial_year", lang, n=months))
        if unclassified > 0:
            notes.append(t("trade.rca.unclassified", lang, value=_fmt(unclassified)))
        top = table[table["advantage"] == True].sort_values("rca", ascending=False)  # noqa: E712
        text = [t("trade.rca.title", lang, year=year, world_year=wy), *notes]
        if len(top):
            text.append(t("trade.rca.advantages", lang, list="; ".join(
                f"{r.name} {r.rca:.2f}" for r in top.head(5).itertuples())))
        world_unit = self.store.scalar("SELECT any_value(unit) FROM trade_world_export WHERE year = ?", [wy])
        meta = self.cw.meta(year=year, world_year=wy, units=UNITS, world_unit=world_unit, source=used,
                            months=months, unclassified_value=unclassified, notes=notes)
        return Result("trade.rca", meta, {"sections": table}, text)


def _iso_date(value: Any) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{float(value):.{digits}f}"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{float(value):,.0f}"


def _pct(value: Any, lang: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return t("trade.growth_undefined", lang)
    v = float(value)
    key = "trade.growth_up" if v >= 0 else "trade.growth_down"
    return t(key, lang, pct=f"{abs(v):.1f}")
