// The console's words in the seeds' three languages (vi, en, zh). The language comes from
// navigator.language unless the operator picked one (kept in localStorage). Elements carry
// `data-i18n` (text), `data-i18n-placeholder` or `data-i18n-aria` keys; code calls `t`.

const WORDS = {
  en: {
    title: "Locker console", sign_in: "Sign in", email: "E-mail", password: "Password", sign_out: "Sign out",
    admin_only: "Only an administrator can use the console.", bad_login: "Wrong e-mail or password.",
    nav_grid: "Live", nav_sessions: "Sessions", nav_alerts: "Alerts", nav_controllers: "Controllers",
    nav_lockers: "Lockers", nav_stats: "Statistics", language: "Language",
    live: "Live", offline: "Offline",
    status_available: "available", status_in_use: "in use", status_reserved: "reserved", status_maintenance: "maintenance",
    door_open: "door open", door_closed: "door closed", door_unknown: "door unknown",
    size_small: "small", size_medium: "medium", size_large: "large",
    board_online: "board online", board_offline: "board offline", no_board: "no board",
    summary: "{available} available · {in_use} in use · {reserved} reserved · {maintenance} maintenance · {total} total",
    force_open: "Force open", reason: "Reason", confirm_open: "I confirm opening locker {code} now.",
    cancel: "Cancel", forced: "Locker {code}: open command sent.", close: "Close",
    filter: "Filter", all: "All", from: "From", to: "To", locker: "Locker", action: "Action", method: "Method",
    time: "Time", session: "Session", user: "User", device: "Device", prev: "Previous", next: "Next",
    page: "Page {page} of {pages}", none: "Nothing to show.",
    severity: "Severity", type: "Type", description: "Description", resolve: "Resolve", state: "State",
    resolved: "resolved", unresolved: "unresolved", note: "Resolution note", resolved_ok: "Alert resolved.",
    new_alert: "Alert: {message}",
    esp32_id: "Board (esp32_id)", station: "Station", register: "Register", battery: "Battery", firmware: "Firmware",
    last_heartbeat: "Last heartbeat", never: "never", online: "Online",
    key_once: "API key of {name}. It is shown once: copy it now, it cannot be shown again.", done: "Done",
    issue_key: "Issue key", rotate_key: "Rotate key", rotate_confirm: "Replace the API key of {name}? The old key stops working.",
    code: "Code", location: "Location", size: "Size", relay: "Relay", sensor: "Sensor", price: "Price/hour",
    add: "Add locker", save: "Save", edit: "Edit", new_locker: "New locker", edit_locker: "Edit {code}",
    maintenance_on: "Maintenance", maintenance_off: "Back in service", saved: "Saved.",
    import_csv: "Import CSV", import_help: "Header: code,station,location,size,controller,relay_channel,sensor_channel,price (as `locker lockers import`) or locker_code,location,size,esp32_id,relay_pin,sensor_pin,price_per_hour.",
    created: "line {line}: {code} created", row_failed: "line {line}: {error}", imported: "{ok} imported, {bad} refused.",
    occupancy: "Occupancy by hour (last 24 h, lockers in use)", checkins: "Check-ins per day (last 14 days)",
    revenue: "Revenue per day (seed 001 orders, last 30 days)", total_revenue: "Total {amount} · {orders} orders",
    no_data: "No data yet.", refresh: "Refresh", error: "Error: {message}",
  },
  vi: {
    title: "Bảng điều khiển tủ khóa", sign_in: "Đăng nhập", email: "Email", password: "Mật khẩu", sign_out: "Đăng xuất",
    admin_only: "Chỉ quản trị viên mới dùng được bảng điều khiển.", bad_login: "Sai email hoặc mật khẩu.",
    nav_grid: "Trực tiếp", nav_sessions: "Phiên", nav_alerts: "Cảnh báo", nav_controllers: "Bộ điều khiển",
    nav_lockers: "Tủ", nav_stats: "Thống kê", language: "Ngôn ngữ",
    live: "Trực tuyến", offline: "Mất kết nối",
    status_available: "trống", status_in_use: "đang dùng", status_reserved: "đã đặt", status_maintenance: "bảo trì",
    door_open: "cửa mở", door_closed: "cửa đóng", door_unknown: "cửa không rõ",
    size_small: "nhỏ", size_medium: "vừa", size_large: "lớn",
    board_online: "bo mạch trực tuyến", board_offline: "bo mạch ngoại tuyến", no_board: "không có bo mạch",
    summary: "{available} trống · {in_use} đang dùng · {reserved} đã đặt · {maintenance} bảo trì · {total} tổng",
    force_open: "Mở cưỡng chế", reason: "Lý do", confirm_open: "Tôi xác nhận mở tủ {code} ngay.",
    cancel: "Hủy", forced: "Tủ {code}: đã gửi lệnh mở.", close: "Đóng",
    filter: "Lọc", all: "Tất cả", from: "Từ", to: "Đến", locker: "Tủ", action: "Hành động", method: "Phương thức",
    time: "Thời gian", session: "Phiên", user: "Người dùng", device: "Thiết bị", prev: "Trước", next: "Sau",
    page: "Trang {page}/{pages}", none: "Không có dữ liệu.",
    severity: "Mức độ", type: "Loại", description: "Mô tả", resolve: "Xử lý", state: "Trạng thái",
    resolved: "đã xử lý", unresolved: "chưa xử lý", note: "Ghi chú xử lý", resolved_ok: "Đã xử lý cảnh báo.",
    new_alert: "Cảnh báo: {message}",
    esp32_id: "Bo mạch (esp32_id)", station: "Trạm", register: "Đăng ký", battery: "Pin", firmware: "Firmware",
    last_heartbeat: "Tín hiệu cuối", never: "chưa có", online: "Trực tuyến",
    key_once: "Khóa API của {name}. Chỉ hiển thị một lần: hãy sao chép ngay, không thể xem lại.", done: "Xong",
    issue_key: "Cấp khóa", rotate_key: "Đổi khóa", rotate_confirm: "Thay khóa API của {name}? Khóa cũ sẽ ngừng hoạt động.",
    code: "Mã tủ", location: "Vị trí", size: "Kích thước", relay: "Rơ-le", sensor: "Cảm biến", price: "Giá/giờ",
    add: "Thêm tủ", save: "Lưu", edit: "Sửa", new_locker: "Tủ mới", edit_locker: "Sửa {code}",
    maintenance_on: "Bảo trì", maintenance_off: "Hoạt động lại", saved: "Đã lưu.",
    import_csv: "Nhập CSV", import_help: "Tiêu đề: code,station,location,size,controller,relay_channel,sensor_channel,price (như `locker lockers import`) hoặc locker_code,location,size,esp32_id,relay_pin,sensor_pin,price_per_hour.",
    created: "dòng {line}: đã tạo {code}", row_failed: "dòng {line}: {error}", imported: "Đã nhập {ok}, từ chối {bad}.",
    occupancy: "Tỷ lệ sử dụng theo giờ (24 giờ qua, số tủ đang dùng)", checkins: "Lượt gửi đồ mỗi ngày (14 ngày qua)",
    revenue: "Doanh thu mỗi ngày (đơn seed 001, 30 ngày qua)", total_revenue: "Tổng {amount} · {orders} đơn",
    no_data: "Chưa có dữ liệu.", refresh: "Làm mới", error: "Lỗi: {message}",
  },
  zh: {
    title: "储物柜控制台", sign_in: "登录", email: "邮箱", password: "密码", sign_out: "退出",
    admin_only: "只有管理员可以使用控制台。", bad_login: "邮箱或密码错误。",
    nav_grid: "实时", nav_sessions: "使用记录", nav_alerts: "告警", nav_controllers: "控制板",
    nav_lockers: "柜格", nav_stats: "统计", language: "语言",
    live: "在线", offline: "离线",
    status_available: "空闲", status_in_use: "使用中", status_reserved: "已预订", status_maintenance: "维护中",
    door_open: "门开", door_closed: "门关", door_unknown: "门状态未知",
    size_small: "小", size_medium: "中", size_large: "大",
    board_online: "控制板在线", board_offline: "控制板离线", no_board: "无控制板",
    summary: "空闲 {available} · 使用中 {in_use} · 已预订 {reserved} · 维护中 {maintenance} · 共 {total}",
    force_open: "强制开门", reason: "原因", confirm_open: "我确认立即打开柜格 {code}。",
    cancel: "取消", forced: "柜格 {code}:开门指令已发送。", close: "关闭",
    filter: "筛选", all: "全部", from: "从", to: "到", locker: "柜格", action: "操作", method: "方式",
    time: "时间", session: "会话", user: "用户", device: "设备", prev: "上一页", next: "下一页",
    page: "第 {page}/{pages} 页", none: "暂无内容。",
    severity: "级别", type: "类型", description: "描述", resolve: "处理", state: "状态",
    resolved: "已处理", unresolved: "未处理", note: "处理说明", resolved_ok: "告警已处理。",
    new_alert: "告警:{message}",
    esp32_id: "控制板 (esp32_id)", station: "站点", register: "注册", battery: "电量", firmware: "固件",
    last_heartbeat: "最后心跳", never: "从未", online: "在线",
    key_once: "{name} 的 API 密钥。仅显示一次:请立即复制,之后无法再次查看。", done: "完成",
    issue_key: "签发密钥", rotate_key: "更换密钥", rotate_confirm: "更换 {name} 的 API 密钥?旧密钥将失效。",
    code: "编号", location: "位置", size: "尺寸", relay: "继电器", sensor: "传感器", price: "每小时价格",
    add: "添加柜格", save: "保存", edit: "编辑", new_locker: "新柜格", edit_locker: "编辑 {code}",
    maintenance_on: "设为维护", maintenance_off: "恢复使用", saved: "已保存。",
    import_csv: "导入 CSV", import_help: "表头:code,station,location,size,controller,relay_channel,sensor_channel,price(同 `locker lockers import`)或 locker_code,location,size,esp32_id,relay_pin,sensor_pin,price_per_hour。",
    created: "第 {line} 行:已创建 {code}", row_failed: "第 {line} 行:{error}", imported: "导入 {ok} 条,拒绝 {bad} 条。",
    occupancy: "按小时占用(最近 24 小时,使用中的柜格)", checkins: "每日存件次数(最近 14 天)",
    revenue: "每日收入(seed 001 订单,最近 30 天)", total_revenue: "合计 {amount} · {orders} 单",
    no_data: "暂无数据。", refresh: "刷新", error: "错误:{message}",
  },
};

const PICKED = "locker.console.lang";
export const LANGUAGES = Object.keys(WORDS);

/** The stored choice, else the first of navigator.languages we speak, else English. */
function initial() {
  const picked = localStorage.getItem(PICKED);
  if (picked && WORDS[picked]) return picked;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (WORDS[base]) return base;
  }
  return "en";
}

let lang = initial();
export const current = () => lang;

/** The word for `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const s = (WORDS[lang] && WORDS[lang][key]) || WORDS.en[key] || key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined ? `{${k}}` : String(vars[k])));
}

/** Writes the words into every marked element under `root`. */
export function apply(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
}

/** Switches to `l` (remembered) and rewrites the page. */
export function use(l) {
  if (!WORDS[l]) return;
  lang = l;
  localStorage.setItem(PICKED, l);
  apply();
}
