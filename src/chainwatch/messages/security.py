"""Hardening: admission and request limits, IO-table records, login and password policy, security audit."""

MESSAGES: dict[str, tuple[str, str]] = {
    # admission and limits
    "sec.busy": ("服务器当前繁忙，请稍后重试", "The server is busy; please try again shortly"),
    "sec.body_too_large": ("请求内容过大（上限 {limit_kb} KB）", "The request is too large (limit {limit_kb} KB)"),
    "sec.run_too_long": ("计算超过 {seconds} 秒的时限，已停止；请缩小情景范围后重试",
                         "The computation exceeded its {seconds}-second limit and was stopped; "
                         "narrow the scenario and try again"),
}
