"""Messages of the shock feature (disruption cascades and input–output scenarios)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # scenario files
    "shock.scenario.missing": ("找不到情景文件：{file}", "Scenario file not found: {file}"),
    "shock.scenario.unreadable": ("无法读取情景文件 {file}：{detail}", "Cannot read scenario file {file}: {detail}"),
    "shock.scenario.not_mapping": ("情景文件 {file} 的内容应为键值映射（YAML 对象）",
                                   "Scenario file {file} must contain a mapping (a YAML object)"),
    "shock.scenario.invalid": ("情景 {file} 有 {n} 处错误，第一处：{first}",
                               "Scenario {file} has {n} problems; first: {first}"),
    "shock.scenario.unknown_target": ("情景中的{target} {id} 在数据库中不存在", "Scenario {target} {id} is not in the database"),
    "shock.scenario.no_network": ("数据库中没有供应关系（supply_link），无法模拟企业级传导；请先导入或运行 chainwatch demo。",
                                  "The database has no supply links (supply_link), so no firm cascade can run; "
                                  "import them or run chainwatch demo first."),
    "shock.scenario.no_links_hit": ("冲击 {item} 没有命中任何供应关系（国家 {country}，HS {hs}）",
                                    "Shock {item} matches no supply link (country {country}, HS {hs})"),
    # saved runs
    "shock.saved.missing": ("没有名为 {name} 的已保存情景结果", "No saved scenario run named {name}"),
    "shock.saved.none": ("尚无已保存的情景结果（运行时使用 --save 名称）", "No saved scenario runs yet (use --save NAME)"),
    "shock.saved.done": ("已保存情景结果 {name}", "Saved scenario run {name}"),
    "shock.usage": ("用法：chainwatch shock 情景文件 | list | compare A B | esri", "Usage: chainwatch shock SCENARIO | list | compare A B | esri"),
    # IO tables
    "shock.io.file_missing": ("找不到投入产出表文件：{file}", "Input–output table file not found: {file}"),
    "shock.io.unreadable": ("无法读取投入产出表 {file}：{detail}", "Cannot read input–output table {file}: {detail}"),
    "shock.io.not_number": ("投入产出表 {file} 第 {row} 行 {column} 列不是数字：{value}",
                            "Input–output table {file}, row {row}, column {column} is not a number: {value}"),
    "shock.io.nbs_layout": ("{file} 不是国家统计局投入产出表格式：{detail}", "{file} is not in the NBS table layout: {detail}"),
    "shock.io.plain_layout": ("{file} 不是简单 CSV 投入产出表格式：{detail}", "{file} is not in the plain CSV table layout: {detail}"),
    "shock.io.bad_layout": ("未知的表格式：{layout}（可选 nbs、csv、auto）", "Unknown table layout: {layout} (nbs, csv or auto)"),
    "shock.io.negative_output": ("{file} 中部门 {sector} 的总产出为负", "{file}: sector {sector} has negative output"),
    "shock.io.unknown_sector": ("{source} 中没有部门 {sector}", "{source} has no sector {sector}"),
    "shock.io.bad_shock": ("冲击参数 {value} 无效，应写为 部门=数值", "Invalid shock {value}; expected SECTOR=NUMBER"),
    "shock.io.unknown_model": ("未知的投入产出模型：{model}", "Unknown input–output model: {model}"),
    # result texts
    "shock.text.cascade": ("情景“{name}”：{months} 个月内产出损失 {lost:,.0f} 万元（占基期 {pct:.2f}%），受影响企业 {firms} 家。",
                           "Scenario '{name}': output lost over {months} months {lost:,.0f} (10k CNY), {pct:.2f}% of base; "
                           "{firms} enterprises affected."),
    "shock.text.io": ("模型 {model}（{n} 个部门，表 {table}）：总产出变化 {dx:,.2f}（{pct:.4f}%）。",
                      "Model {model} ({n} sectors, table {table}): total output change {dx:,.2f} ({pct:.4f}%)."),
    "shock.text.esri": ("系统重要性（ESRI）：评估 {n} 家企业，共 {total} 家。", "Systemic importance (ESRI): {n} of {total} enterprises evaluated."),
    "shock.via.origin": ("冲击源", "shock origin"),
    "shock.via.supply": ("供给中断", "supply shortage"),
    "shock.via.demand": ("需求下降", "lost demand"),
    "shock.via.link": ("进口/外部供应中断", "import / external link cut"),
}
