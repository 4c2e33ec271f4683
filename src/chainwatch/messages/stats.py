"""Messages of the official-style industrial statistics (chainwatch stats)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # errors
    "stats.bad_by": ("未知的分组：{by}（可选：{allowed}）", "Unknown grouping: {by} (one of: {allowed})"),
    "stats.bad_indicator": ("未知的指标：{indicator}（可选：{allowed}）", "Unknown indicator: {indicator} (one of: {allowed})"),
    "stats.no_data": ("{period} 没有规上工业企业数据（请检查月度数据与规上名录是否已导入）",
                      "No above-size industrial data for {period} (check that monthly data and the 规上 directory are imported)"),
    "stats.bad_range": ("期间范围无效：起始 {start} 晚于结束 {end}", "Invalid period range: start {start} is after end {end}"),
    "stats.unknown_group": ("分组 {by} 中不存在 {key}", "No group {key} in grouping {by}"),
    "stats.unknown_enterprise": ("企业 {uscc} 不存在或不在您的辖区范围内", "Enterprise {uscc} does not exist or is outside your districts"),
    # indicators (full names; short names for the bulletin sentence)
    "stats.ind.gross_output": ("工业总产值", "gross output"),
    "stats.ind.value_added": ("工业增加值", "value added"),
    "stats.ind.revenue": ("营业收入", "operating revenue"),
    "stats.ind.total_profit": ("利润总额", "total profit"),
    "stats.ind.profit_tax": ("利税总额", "profits and taxes"),
    "stats.ind.export_value": ("出口交货值", "export delivery value"),
    "stats.ind.electricity": ("用电量", "electricity use"),
    "stats.ind.employees": ("从业人员", "employees"),
    "stats.short.gross_output": ("产值", "output"),
    "stats.short.value_added": ("增加值", "value added"),
    "stats.short.profit_tax": ("利税", "profits and taxes"),
    "stats.short.total_profit": ("利润", "profits"),
    # groupings
    "stats.by.total": ("合计", "total"),
    "stats.by.chain": ("产业链", "chain"),
    "stats.by.segment": ("产业链环节", "chain segment"),
    "stats.by.cluster": ("产业集群", "cluster"),
    "stats.by.district": ("区县", "district"),
    "stats.by.industry": ("行业大类", "industry division"),
    "stats.by.size": ("企业规模", "size class"),
    "stats.total_name": ("全市", "City total"),
    "stats.scope_total_name": ("辖区合计", "Districts total"),
    "stats.size.unknown": ("规模未知", "size unknown"),
    # bulletin sentence
    "stats.area.city": ("全市", "the city's"),
    "stats.area.scope": ("{names}", "{names}'s"),
    "stats.sentence": ("{label}，{area}规上工业{names}{each}同比{phrase}",
                       "In {label}, {names} of {area} industrial enterprises above designated size {phrase} "
                       "year on year{each}."),
    "stats.sentence.each": ("分别", " respectively"),
    # notes in meta
    "stats.note.chains": ("同一企业可属于多条产业链（或多个环节、集群），各链合计不等于全市，贡献率之和不为100%；"
                          "区县、行业、规模分组互不重叠，贡献率之和为100%，拉动之和等于总体增速。",
                          "An enterprise may belong to several chains (segments, clusters), so chain figures do not add "
                          "up to the total and their contributions do not sum to 100%; districts, industries and size "
                          "classes partition the enterprises: contributions sum to 100% and pulls to the total growth."),
    "stats.note.current": ("增加值增速按现价计算（未导入价格指数 PPI）。",
                           "Value-added growth is at current prices (no PPI deflator imported)."),
    "stats.note.comparable": ("增加值增速按可比价计算（以 PPI 缩减，行业大类缺失时用全部工业 PPI），为平台估算。",
                              "Value-added growth is at comparable prices (deflated by the division PPI, falling back "
                              "to all-industry PPI); a platform estimate."),
    "stats.note.incomplete": ("{n} 家企业缺少上年同期数据，已按“{policy}”规则处理（计入 n_incomplete_base）。",
                              "{n} enterprises lack a prior-year value; policy '{policy}' applied (counted in n_incomplete_base)."),
    "stats.note.jan": ("1月不单独发布，按1–2月合并期间统计。", "January is not published alone; reported as Jan–Feb."),
    "stats.note.derived": ("部分规上名录为按上年营业收入推算（derived），结果为估算。",
                           "Part of the 规上 membership is derived from prior-year revenue; results are estimates."),
    # table headers
    "stats.col.group_type": ("分组", "grouping"),
    "stats.col.group": ("分组名称", "group"),
    "stats.col.indicator": ("指标", "indicator"),
    "stats.col.month_value": ("当月", "month"),
    "stats.col.month_yoy_pct": ("当月同比%", "month YoY %"),
    "stats.col.ytd_value": ("累计", "YTD"),
    "stats.col.ytd_yoy_pct": ("累计同比%", "YTD YoY %"),
    "stats.col.share_pct": ("占比%", "share %"),
    "stats.col.contribution_pct": ("贡献率%", "contribution %"),
    "stats.col.pull_pp": ("拉动(百分点)", "pull (pp)"),
    "stats.col.two_year_avg_pct": ("两年平均%", "2-yr avg %"),
    "stats.col.n_enterprises": ("企业数", "firms"),
    "stats.col.up_down": ("增/减", "up/down"),
    "stats.col.n_loss": ("亏损企业", "loss-making"),
    "stats.col.loss_total": ("亏损额", "total loss"),
    "stats.col.basis": ("价格", "prices"),
    "stats.basis.comparable": ("可比价", "comparable"),
    "stats.basis.current": ("现价", "current"),
    "stats.title": ("{label} 规上工业主要指标（{by}，金额单位：万元）", "Industry above designated size, {label} ({by}; money in 万元)"),
}
