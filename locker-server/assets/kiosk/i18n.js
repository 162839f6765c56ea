// The kiosk's words in Vietnamese, English and Chinese (the seeds' languages), the language
// chosen from navigator.language and changed with the switcher.

const WORDS = {
  en: {
    brand: 'Smart locker',
    'setup.title': 'Kiosk set-up',
    'setup.hint': 'Staff: sign this kiosk in with its account.',
    'setup.email': 'E-mail',
    'setup.password': 'Password',
    'setup.submit': 'Start the kiosk',
    'setup.failed': 'Sign-in refused: check the e-mail and password.',
    'home.title': 'Welcome',
    'home.checkinFace': 'Store my things (face)',
    'home.checkinQr': 'Store my things (QR code)',
    'home.checkoutFace': 'Collect my things (face)',
    'home.checkoutQr': 'Collect my things (QR code)',
    'home.pickup': 'I have a pickup code',
    'home.offline': 'Reconnecting to the lockers…',
    'camera.face': 'Look at the camera',
    'camera.faceHint': 'Stand alone in front of the screen, face straight on. The photo is taken automatically.',
    'camera.qr': 'Show your QR code',
    'camera.qrHint': 'Hold the QR code from the app in front of the camera.',
    'camera.working': 'One moment…',
    'pickup.title': 'Enter your pickup code',
    'pickup.locker': 'Locker',
    'pickup.code': 'Code',
    'pickup.back': '⌫',
    'pickup.next': 'Next',
    'pickup.open': 'Open',
    'door.locker': 'Your locker',
    'door.opening': 'Opening door {locker}…',
    'door.open': 'Open door {locker}',
    'door.openIn': 'Put your things in, then close the door.',
    'door.openOut': 'Take your things, then close the door.',
    'door.close': 'Close the door',
    'door.doneIn': 'Done! Your things are safe in {locker}.',
    'door.doneOut': 'Done! Thank you.',
    'door.doneHint': 'Remember your locker number.',
    'door.stuck': 'The door of {locker} did not open. Staff have been alerted.',
    'common.cancel': 'Cancel',
    'common.home': 'Back to start',
    'common.retry': 'Try again',
    'error.title': 'Sorry',
    'error.noFace': 'We could not see a face. Look straight at the camera and try again.',
    'error.manyFaces': 'Only one person in front of the camera, please.',
    'error.notRecognised': 'We do not recognise you. Try again, or use your QR code.',
    'error.noLocker': 'No locker is free right now. Please try again later.',
    'error.doorBusy': 'That door is busy. Please wait a moment and try again.',
    'error.qrInvalid': 'This QR code is not valid here, has expired or was already used. Open the app for a new one.',
    'error.qrWrongAction': 'This QR code is for something else. Choose the matching button.',
    'error.codeInvalid': 'That locker number and code do not match. Check them and try again.',
    'error.noSession': 'We found no rental for you.',
    'error.tooMany': 'Too many tries. Please wait a minute.',
    'error.hardware': 'The locker is not responding. Staff have been alerted.',
    'error.noCamera': 'The camera is not available. Please ask staff for help.',
    'error.offline': 'The kiosk cannot reach the locker system. Please ask staff for help.',
    'error.generic': 'Something went wrong. Please try again.',
  },
  vi: {
    brand: 'Tủ khóa thông minh',
    'setup.title': 'Cài đặt kiosk',
    'setup.hint': 'Nhân viên: đăng nhập kiosk bằng tài khoản của kiosk.',
    'setup.email': 'E-mail',
    'setup.password': 'Mật khẩu',
    'setup.submit': 'Khởi động kiosk',
    'setup.failed': 'Đăng nhập bị từ chối: kiểm tra e-mail và mật khẩu.',
    'home.title': 'Xin chào',
    'home.checkinFace': 'Gửi đồ (khuôn mặt)',
    'home.checkinQr': 'Gửi đồ (mã QR)',
    'home.checkoutFace': 'Lấy đồ (khuôn mặt)',
    'home.checkoutQr': 'Lấy đồ (mã QR)',
    'home.pickup': 'Tôi có mã nhận hàng',
    'home.offline': 'Đang kết nối lại với tủ…',
    'camera.face': 'Hãy nhìn vào camera',
    'camera.faceHint': 'Đứng một mình trước màn hình, nhìn thẳng. Ảnh sẽ được chụp tự động.',
    'camera.qr': 'Đưa mã QR của bạn',
    'camera.qrHint': 'Giữ mã QR trong ứng dụng trước camera.',
    'camera.working': 'Vui lòng chờ…',
    'pickup.title': 'Nhập mã nhận hàng',
    'pickup.locker': 'Tủ',
    'pickup.code': 'Mã',
    'pickup.back': '⌫',
    'pickup.next': 'Tiếp',
    'pickup.open': 'Mở',
    'door.locker': 'Tủ của bạn',
    'door.opening': 'Đang mở cửa {locker}…',
    'door.open': 'Mở cửa {locker}',
    'door.openIn': 'Cất đồ vào rồi đóng cửa lại.',
    'door.openOut': 'Lấy đồ ra rồi đóng cửa lại.',
    'door.close': 'Hãy đóng cửa',
    'door.doneIn': 'Xong! Đồ của bạn đã an toàn trong tủ {locker}.',
    'door.doneOut': 'Xong! Cảm ơn bạn.',
    'door.doneHint': 'Hãy nhớ số tủ của bạn.',
    'door.stuck': 'Cửa tủ {locker} không mở được. Nhân viên đã được báo.',
    'common.cancel': 'Hủy',
    'common.home': 'Về màn hình đầu',
    'common.retry': 'Thử lại',
    'error.title': 'Xin lỗi',
    'error.noFace': 'Không thấy khuôn mặt. Hãy nhìn thẳng vào camera và thử lại.',
    'error.manyFaces': 'Chỉ một người đứng trước camera thôi nhé.',
    'error.notRecognised': 'Chúng tôi không nhận ra bạn. Hãy thử lại hoặc dùng mã QR.',
    'error.noLocker': 'Hiện không còn tủ trống. Vui lòng thử lại sau.',
    'error.doorBusy': 'Cửa tủ đang bận. Vui lòng chờ một chút rồi thử lại.',
    'error.qrInvalid': 'Mã QR không hợp lệ, đã hết hạn hoặc đã được dùng. Mở ứng dụng để lấy mã mới.',
    'error.qrWrongAction': 'Mã QR này dùng cho việc khác. Hãy chọn đúng nút.',
    'error.codeInvalid': 'Số tủ và mã không khớp. Kiểm tra lại rồi thử lại.',
    'error.noSession': 'Không tìm thấy lượt gửi đồ của bạn.',
    'error.tooMany': 'Thử quá nhiều lần. Vui lòng chờ một phút.',
    'error.hardware': 'Tủ không phản hồi. Nhân viên đã được báo.',
    'error.noCamera': 'Camera không hoạt động. Vui lòng gọi nhân viên.',
    'error.offline': 'Kiosk không kết nối được với hệ thống tủ. Vui lòng gọi nhân viên.',
    'error.generic': 'Đã có lỗi. Vui lòng thử lại.',
  },
  zh: {
    brand: '智能储物柜',
    'setup.title': '终端设置',
    'setup.hint': '工作人员：请用本终端的账号登录。',
    'setup.email': '邮箱',
    'setup.password': '密码',
    'setup.submit': '启动终端',
    'setup.failed': '登录被拒绝：请检查邮箱和密码。',
    'home.title': '欢迎',
    'home.checkinFace': '存物（刷脸）',
    'home.checkinQr': '存物（二维码）',
    'home.checkoutFace': '取物（刷脸）',
    'home.checkoutQr': '取物（二维码）',
    'home.pickup': '我有取件码',
    'home.offline': '正在重新连接柜子…',
    'camera.face': '请看摄像头',
    'camera.faceHint': '请一人站在屏幕前，正对摄像头，将自动拍照。',
    'camera.qr': '请出示二维码',
    'camera.qrHint': '将应用中的二维码对准摄像头。',
    'camera.working': '请稍候…',
    'pickup.title': '输入取件码',
    'pickup.locker': '柜号',
    'pickup.code': '取件码',
    'pickup.back': '⌫',
    'pickup.next': '下一项',
    'pickup.open': '开柜',
    'door.locker': '您的柜子',
    'door.opening': '正在打开 {locker} 柜门…',
    'door.open': '请打开 {locker} 柜门',
    'door.openIn': '放入物品后请关好柜门。',
    'door.openOut': '取出物品后请关好柜门。',
    'door.close': '请关门',
    'door.doneIn': '完成！您的物品已安全存放在 {locker}。',
    'door.doneOut': '完成！谢谢。',
    'door.doneHint': '请记住您的柜号。',
    'door.stuck': '{locker} 柜门未能打开，已通知工作人员。',
    'common.cancel': '取消',
    'common.home': '返回首页',
    'common.retry': '重试',
    'error.title': '抱歉',
    'error.noFace': '未检测到人脸，请正对摄像头再试一次。',
    'error.manyFaces': '请只有一人站在摄像头前。',
    'error.notRecognised': '未能识别您，请重试或使用二维码。',
    'error.noLocker': '暂无空闲柜子，请稍后再试。',
    'error.doorBusy': '柜门正忙，请稍后再试。',
    'error.qrInvalid': '二维码无效、已过期或已使用，请在应用中获取新码。',
    'error.qrWrongAction': '该二维码用于其他操作，请选择对应的按钮。',
    'error.codeInvalid': '柜号与取件码不符，请检查后重试。',
    'error.noSession': '未找到您的存物记录。',
    'error.tooMany': '尝试次数过多，请一分钟后再试。',
    'error.hardware': '柜子无响应，已通知工作人员。',
    'error.noCamera': '摄像头不可用，请联系工作人员。',
    'error.offline': '终端无法连接柜子系统，请联系工作人员。',
    'error.generic': '出错了，请重试。',
  },
};

/** The languages offered, in the switcher's order. */
export const LANGUAGES = ['vi', 'en', 'zh'];

let current = 'en';

/** The first of `preferred` (e.g. navigator.languages) the kiosk speaks, else English. */
export function pickLanguage(preferred) {
  for (const tag of preferred || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** Makes `lang` the current language (ignored when unknown). */
export function setLanguage(lang) {
  if (LANGUAGES.includes(lang)) current = lang;
  return current;
}

/** The current language. */
export function language() {
  return current;
}

/** The text of `key` in the current language, `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = WORDS[current][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Writes the current language into every `[data-i18n]` element under `root`. */
export function translate(root) {
  root.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-lang]')) el.classList.toggle('active', el.dataset.lang === current);
}
