"""Hardening: admission and request limits, IO-table records, login and password policy, security audit."""

MESSAGES: dict[str, tuple[str, str]] = {
    # admission and limits
    "sec.busy": ("服务器当前繁忙，请稍后重试", "The server is busy; please try again shortly"),
    "sec.body_too_large": ("请求内容过大（上限 {limit_kb} KB）", "The request is too large (limit {limit_kb} KB)"),
    "sec.run_too_long": ("计算超过 {seconds} 秒的时限，已停止；请缩小情景范围后重试",
                         "The computation exceeded its {seconds}-second limit and was stopped; "
                         "narrow the scenario and try again"),
    "sec.docs_missing": ("接口文档界面（Swagger UI）未安装：请在项目根目录运行 npm ci && npm run build；"
                         "OpenAPI 文档仍可从下面的链接获取。",
                         "The API documentation viewer (Swagger UI) is not installed: run npm ci && npm run build "
                         "in the project folder; the OpenAPI document is still available below."),
    # security audit log
    "sec.audit.verified": ("安全审计日志完整：共 {n} 条，哈希链校验通过；最新一条序号 {seq}，哈希 {head}…（请在库外留存此值以便发现截断）",
                           "Security audit log intact: {n} entries, hash chain verified; newest entry {seq}, "
                           "hash {head}… (keep this value outside the database to detect truncation)"),
    "sec.audit.broken": ("安全审计日志被篡改或损坏：共 {n} 条，哈希链在第 {seq} 条断开（{problem}）",
                         "Security audit log tampered with or damaged: {n} entries, the hash chain breaks at "
                         "entry {seq} ({problem})"),
    "sec.audit.bad_since": ("--since 的值 {value} 无效，应为日期或时间，如 2026-12-01 或 2026-12-01T08:00",
                            "Invalid --since {value}; expected a date or time such as 2026-12-01 or "
                            "2026-12-01T08:00"),
    "sec.audit.title": ("安全审计日志", "Security audit log"),
    "sec.audit.intro": ("登录、锁定、账号与权限变更、越权访问、数据导出与导入确认等安全事件，按哈希链防篡改记录。",
                        "Logins, lockouts, account and permission changes, refused accesses, exports and import "
                        "confirmations, recorded in a tamper-evident hash chain."),
    "sec.audit.write_log": ("数据操作日志", "Data change log"),
    "web.col.outcome": ("结果", "Outcome"),
    "web.col.address": ("来源地址", "Address"),
    # passwords and login (finding 10)
    "sec.pw.short": ("密码至少需要 {n} 个字符", "The password needs at least {n} characters"),
    "sec.pw.contains_name": ("密码不能包含用户名", "The password must not contain the user name"),
    "sec.pw.weak": ("密码强度不足（强度评分 {score}/4，至少需要 {min}）：请使用由几个不相关的词组成的较长短语，"
                    "或混合更多字符",
                    "The password is too weak (strength score {score}/4, at least {min} needed): use a longer "
                    "phrase of a few unrelated words, or more varied characters"),
    "sec.pw.weak.common": ("密码强度不足（评分 {score}/4，至少需要 {min}）：这是常见密码或与常见密码过于相似",
                           "The password is too weak (score {score}/4, at least {min} needed): it is a common "
                           "password or too close to one"),
    "sec.pw.weak.repeats": ("密码强度不足（评分 {score}/4，至少需要 {min}）：包含重复的字符或片段（如 aaa、abcabc）",
                            "The password is too weak (score {score}/4, at least {min} needed): it repeats "
                            "characters or parts (like aaa or abcabc)"),
    "sec.pw.weak.sequence": ("密码强度不足（评分 {score}/4，至少需要 {min}）：包含顺序字符（如 abc、6543）",
                             "The password is too weak (score {score}/4, at least {min} needed): it contains a "
                             "sequence (like abc or 6543)"),
    "sec.pw.weak.keyboard": ("密码强度不足（评分 {score}/4，至少需要 {min}）：包含键盘上相邻的按键序列（如 qwerty、asdf）",
                             "The password is too weak (score {score}/4, at least {min} needed): it contains a "
                             "keyboard pattern (like qwerty or asdf)"),
    "sec.pw.weak.dates": ("密码强度不足（评分 {score}/4，至少需要 {min}）：包含日期或年份，容易被猜到",
                          "The password is too weak (score {score}/4, at least {min} needed): dates and years are "
                          "easy to guess"),
    "sec.pw.weak.words": ("密码强度不足（评分 {score}/4，至少需要 {min}）：单个常见词或姓名容易被猜到，请再加几个不相关的词",
                          "The password is too weak (score {score}/4, at least {min} needed): a single common word "
                          "or name is easy to guess; add a few unrelated words"),
    "sec.pw.wrong_current": ("当前密码不正确", "The current password is wrong"),
    "sec.pw.changed": ("密码已修改，请用新密码重新登录", "Password changed; log in again with the new password"),
    # IO tables as records (finding 1) and request bounds
    "sec.io.unknown_table": ("没有名为“{name}”的投入产出表（可用：{available}）；请由管理员用 chainwatch io tables import 导入",
                             "No IO table named '{name}' (available: {available}); an administrator imports tables "
                             "with chainwatch io tables import"),
    "sec.io.bad_name": ("投入产出表名称“{name}”无效：只能用字母、数字和 _ . -（1–64 个字符），不能是路径",
                        "Invalid IO table name '{name}': letters, digits and _ . - only (1–64 characters), "
                        "never a path"),
    "sec.io.exists": ("投入产出表 {name} 已存在；如需替换请加 --replace", "IO table {name} already exists; "
                      "add --replace to replace it"),
    "sec.io.too_large": ("投入产出表文件 {file} 超过 {mb} MB 上限（设置项 io_table_max_mb）",
                         "IO table file {file} is larger than {mb} MB (setting io_table_max_mb)"),
    "sec.io.too_many_sectors": ("投入产出表 {name} 有 {n} 个部门，超过上限 {max}（设置项 io_max_sectors）",
                                "IO table {name} has {n} sectors, more than the limit of {max} "
                                "(setting io_max_sectors)"),
    "sec.io.empty": ("投入产出表 {name} 没有部门", "IO table {name} has no sectors"),
    "sec.io.not_finite": ("投入产出表 {name} 的 {what} 含有非有限数值（inf 或 NaN）",
                          "IO table {name} has non-finite values (inf or NaN) in {what}"),
    "sec.io.companions_csv_only": ("--final 和 --output 只适用于简单 CSV 格式（--layout csv）",
                                   "--final and --output apply to the plain CSV layout only (--layout csv)"),
    "sec.io.pct_base_tfu": ("按百分比的需求冲击以最终使用合计（TFU）为基数，但以下 {n} 个部门的最终使用合计不大于 0，"
                            "百分比冲击会得出相反方向的结果：{sectors}；请改用绝对量（demand_change）",
                            "A percentage demand shock is a share of total final use (TFU), which is not positive "
                            "for {n} sector(s), so the percentage would act in the opposite direction: {sectors}; "
                            "give an absolute change (demand_change) instead"),
    "sec.io.pct_base_v": ("按百分比的供给冲击以初始投入（增加值等）为基数，但以下 {n} 个部门的初始投入不大于 0：{sectors}；"
                          "请改用绝对量（demand_change）",
                          "A percentage supply shock is a share of primary inputs, which are not positive for {n} "
                          "sector(s): {sectors}; give an absolute change (demand_change) instead"),
    "sec.io.removed": ("已删除投入产出表 {name}", "IO table {name} removed"),
    "sec.sim.io_title": ("投入产出模型（部门层面）", "Input–output model (sectors)"),
    "sec.sim.io_intro": ("在已导入的投入产出表上，按部门最终使用合计（TFU）的百分比设定需求变化（Ghosh 模型为初始投入），"
                         "测算各部门总产出的变化。",
                         "On an imported input–output table, change one sector's total final use (TFU; Ghosh: its "
                         "primary inputs) by a percentage and see every sector's output change."),
    "sec.sim.io_model": ("模型", "Model"),
    "sec.sim.io_model_leontief": ("Leontief 需求模型", "Leontief (demand)"),
    "sec.sim.io_model_ghosh": ("Ghosh 供给模型", "Ghosh (supply)"),
    "sec.sim.io_model_iim": ("不可运行性模型（IIM）", "Inoperability (IIM)"),
    "sec.sim.io_table": ("投入产出表", "IO table"),
    "sec.sim.io_sector": ("部门代码", "Sector code"),
    "sec.sim.io_pct": ("变化 %", "Change %"),
    "sec.sim.io_none": ("尚未导入投入产出表。管理员可运行 chainwatch io tables import 文件 --name 名称 导入后在此使用。",
                        "No input–output table has been imported yet. An administrator runs chainwatch io tables "
                        "import FILE --name NAME to make one available here."),
    "sec.sim.io_sectors": ("各部门产出变化", "Output change by sector"),
    "sec.sim.too_many_shocks": ("情景包含 {n} 个冲击，超过上限 {max}（设置项 sim_max_shocks）",
                                "The scenario has {n} shocks, more than the limit of {max} (setting sim_max_shocks)"),
}
