"""Store backends (issue 22): PostgreSQL connections, imports under a lock, `chainwatch store`."""

MESSAGES: dict[str, tuple[str, str]] = {
    "store.not_portable": ("SQL 语句超出可移植子集（{reason}）：{sql}",
                           "SQL statement outside the portable subset ({reason}): {sql}"),
    "store.pg_connect": ("无法连接 PostgreSQL 数据库 {name}：{detail}",
                         "Cannot connect to the PostgreSQL database {name}: {detail}"),
    "store.pg_no_database": ("PostgreSQL 数据库 {name} 不存在。请由数据库管理员先创建该库（例如 createdb），"
                             "再运行 chainwatch init --db 建立数据结构。",
                             "The PostgreSQL database {name} does not exist. Ask the database administrator to "
                             "create it (e.g. createdb), then run chainwatch init --db to create the schema."),
    "store.pg_password": ("请输入 {name} 的密码：", "Password for {name}: "),
    "store.pg_pool_busy": ("数据库 {path} 的连接已全部占用，请稍后再试。",
                           "Every connection to the database {path} is in use; try again shortly."),
    "store.import_busy": ("另一项导入正在写入数据库 {path}，等待 {seconds} 秒后仍未完成，请稍后重试"
                          "（可用设置 import_wait_seconds 调整等待时间）。",
                          "Another import is writing to the database {path} and did not finish within {seconds} s; "
                          "try again later (setting import_wait_seconds sets the wait)."),
    "store.copy_not_empty": ("目标数据库 {target} 已有数据（{tables} 等表）；如确需覆盖，请加 --replace。",
                             "The target database {target} already holds data (tables {tables} …); "
                             "add --replace to overwrite it."),
    "store.copy_mismatch": ("复制表 {table} 时行数不一致（源 {source} 行，目标 {target} 行），目标数据库未作任何改动。",
                            "Row counts differ after copying table {table} (source {source}, target {target}); "
                            "the target database was left unchanged."),
    "store.copy_failed": ("复制表 {table} 失败：{detail}。目标数据库未作任何改动。",
                          "Copying table {table} failed: {detail}. The target database was left unchanged."),
    "store.copy_done": ("已将 {source} 复制到 {target}：{tables} 张表，共 {rows} 行，用时 {seconds} 秒。",
                        "Copied {source} to {target}: {tables} tables, {rows} rows in {seconds} s."),
    "store.copy_same": ("源数据库与目标数据库相同：{name}。", "The source and the target are the same database: {name}."),
    "store.readonly": ("数据库 {path} 以只读方式打开，不能写入。", "The database {path} is open read-only."),
}
