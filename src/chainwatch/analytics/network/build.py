"""VAT invoice lines → supply links, as backend-neutral Ibis expressions (DuckDB or Spark).

One pass over the invoices of a year builds a *cube*: net value by seller × buyer × product × month ×
status (red-letter amounts count negative, void lines count nothing but their number). Every output
is then an aggregate of the cube, so an engine reads the invoices once (the service caches the cube).

Definitions (docs/scale.md):

* ``value`` of a link = Σ amount (excluding tax) of the seller's valid invoices to the buyer in the
  year − Σ |amount| of its red-letter invoices; links with ``value <= 0`` are dropped.
* ``buyer_share`` = value / the buyer's invoiced purchases from every seller; ``seller_share`` =
  value / the seller's invoiced sales to every buyer, including buyers without a taxpayer ID.
* ``share`` = the link's value in the input class of its main product / the buyer's purchases of
  that class (the meaning of ``supply_link.share``: share of the buyer's purchases of this input);
  the class is the HS heading (4 digits), else the first 7 digits of the tax classification code.
* ``months_active`` = months with at least one valid invoice on the link; ``n_invoices`` = valid lines.
* main products: up to three product codes (HS 6-digit, else ``T`` + the 19-digit tax code) by value.
* self-invoices (seller = buyer) are left out of everything and counted.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

CUBE_KEYS = ("seller_uscc", "buyer_uscc", "product", "klass", "month", "status")


def cube_expr(invoice: ir.Table, year: int) -> ir.Table:
    """Net value, tax and line counts by seller × buyer × product × class × month × status for ``year``."""
    inv = invoice.filter(invoice.year == year)
    hs = inv.hs_code.cast("string")
    tax = inv.tax_code.cast("string")
    hs6 = ibis.ifelse(hs.length() >= 6, hs.substr(0, 6), hs)
    product = hs6.fill_null(ibis.literal("T") + tax)
    klass = ibis.ifelse(hs.notnull(), hs.substr(0, 4), ibis.literal("T") + tax.substr(0, 7))
    amount = inv.amount.cast("float64")
    tax_amt = inv.tax_amount.cast("float64").fill_null(0.0)
    red = inv.status == "red"
    void = inv.status == "void"
    signed = ibis.ifelse(void, 0.0, ibis.ifelse(red, -amount.abs(), amount))
    signed_tax = ibis.ifelse(void, 0.0, ibis.ifelse(red, -tax_amt.abs(), tax_amt))
    base = inv.select(
        seller_uscc=inv.seller_uscc.cast("string"), buyer_uscc=inv.buyer_uscc.cast("string"),
        product=product, klass=klass, month=inv.month.cast("int32"), status=inv.status.cast("string"),
        value=signed, tax=signed_tax, seller_name=inv.seller_name.cast("string"),
        buyer_name=inv.buyer_name.cast("string"))
    return base.group_by(list(CUBE_KEYS)).aggregate(
        n=base.count(), value=base.value.sum(), tax=base.tax.sum(),
        seller_name=base.seller_name.max(), buyer_name=base.buyer_name.max())


def counts_expr(cube: ir.Table) -> ir.Table:
    """One row: lines read, valid, red, void, self-invoices, lines without a buyer ID."""
    c = cube
    selfie = c.buyer_uscc.notnull() & (c.seller_uscc == c.buyer_uscc)
    live = c.status != "void"
    return c.aggregate(
        n_lines=c.n.sum(),
        n_valid=c.n.sum(where=c.status == "valid"),
        n_red=c.n.sum(where=c.status == "red"),
        n_void=c.n.sum(where=c.status == "void"),
        n_self=c.n.sum(where=selfie & live),
        n_no_buyer=c.n.sum(where=c.buyer_uscc.isnull() & live),
    )


def _live(cube: ir.Table) -> ir.Table:
    """The cube without void lines and self-invoices."""
    return cube.filter(cube.status != "void", cube.buyer_uscc.isnull() | (cube.seller_uscc != cube.buyer_uscc))


def links_expr(cube: ir.Table, *, min_value: float = 0.0, min_share: float = 0.0) -> dict[str, ir.Table]:
    """``links`` (one row per kept seller → buyer link), ``products`` (top three per kept link), ``pairs``
    (one row: pairs with a net positive value, and how many the thresholds dropped)."""
    live = _live(cube)
    sales = live.group_by("seller_uscc").aggregate(sales=live.value.sum())
    known = live.filter(live.buyer_uscc.notnull())
    purchases = known.group_by("buyer_uscc").aggregate(purchases=known.value.sum())
    class_purch = known.group_by(["buyer_uscc", "klass"]).aggregate(class_purchases=known.value.sum())
    valid = known.status == "valid"
    pairs = known.group_by(["seller_uscc", "buyer_uscc"]).aggregate(
        value=known.value.sum(), tax=known.tax.sum(), n_invoices=known.n.sum(where=valid).fill_null(0),
        n_red=known.n.sum(where=known.status == "red").fill_null(0),
        months_active=known.month.nunique(where=valid), first_month=known.month.min(where=valid),
        last_month=known.month.max(where=valid),
        seller_name=known.seller_name.max(), buyer_name=known.buyer_name.max())
    pairs = pairs.filter(pairs.value > 0)
    prod = known.group_by(["seller_uscc", "buyer_uscc", "product", "klass"]).aggregate(pv=known.value.sum())
    rank = ibis.row_number().over(group_by=[prod.seller_uscc, prod.buyer_uscc],
                                  order_by=[ibis.desc(prod.pv), prod.product])
    ranked = prod.mutate(rank=rank)
    main = ranked.filter(ranked.rank == 0).select("seller_uscc", "buyer_uscc", main_product="product",
                                                  main_klass="klass")
    link_class = prod.group_by(["seller_uscc", "buyer_uscc", "klass"]).aggregate(class_value=prod.pv.sum())

    j = pairs.join(sales, "seller_uscc").join(purchases, "buyer_uscc").join(main, ["seller_uscc", "buyer_uscc"])
    j = j.join(link_class, [j.seller_uscc == link_class.seller_uscc, j.buyer_uscc == link_class.buyer_uscc,
                            j.main_klass == link_class.klass])
    j = j.join(class_purch, [j.buyer_uscc == class_purch.buyer_uscc, j.main_klass == class_purch.klass])
    links = j.select(
        "seller_uscc", "buyer_uscc", "seller_name", "buyer_name", "value", "tax", "n_invoices", "n_red",
        "months_active", "first_month", "last_month", "main_product", "main_klass",
        buyer_share=ibis.ifelse(j.purchases > 0, j.value / j.purchases, ibis.null("float64")),
        seller_share=ibis.ifelse(j.sales > 0, j.value / j.sales, ibis.null("float64")),
        share=ibis.ifelse(j.class_purchases > 0, (j.class_value / j.class_purchases).clip(0.0, 1.0),
                          ibis.null("float64")),
    )
    keep = (links.value >= min_value) & (
        (links.buyer_share.fill_null(0.0) >= min_share) | (links.seller_share.fill_null(0.0) >= min_share))
    kept = links.filter(keep)
    products = ranked.filter(ranked.rank < 3).join(
        kept.select("seller_uscc", "buyer_uscc", link_value="value"), ["seller_uscc", "buyer_uscc"])
    products = products.select("seller_uscc", "buyer_uscc", "product", "rank",
                               product_share=products.pv / products.link_value)
    summary = links.aggregate(n_pairs=links.count(), n_below=links.count(where=~keep))
    return {"links": kept, "products": products, "pairs": summary}


def product_label(code: Any) -> str:
    """A product code as shown: HS codes as they are, tax codes without their ``T`` marker."""
    s = str(code)
    return s[1:] if s.startswith("T") else s


__all__ = ["cube_expr", "counts_expr", "links_expr", "product_label", "CUBE_KEYS"]
