"""What a lookup answer says, in vi, en, zh, ko and ja: status texts (label, meaning, next step) and
the surrounding messages, with money and dates formatted by Babel for the user's locale.

Vietnamese is the reference; the other languages were written for this project and checked for
meaning. The owner is never mentioned: no function here receives a name, number or phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, format_time
from babel.numbers import format_currency

from .model import VN_TZ, parse_when

LANGS: tuple[str, ...] = ("vi", "en", "zh", "ko", "ja")
LOCALES: dict[str, str] = {"vi": "vi_VN", "en": "en", "zh": "zh_Hans_CN", "ko": "ko_KR", "ja": "ja_JP"}
NATIONAL_PORTAL = "https://dichvucong.gov.vn"
DEMO_TAG = "[DEMO] "


@dataclass(frozen=True)
class StatusText:
    label: str
    meaning: str
    next_step: str  # 5 has {documents}; 6 has {amount} and {portal}


def _s(label: str, meaning: str, next_step: str) -> StatusText:
    return StatusText(label, meaning, next_step)


STATUS_TEXTS: dict[int, dict[str, StatusText]] = {
    1: {
        "vi": _s("Mới đăng ký",
                 "Hồ sơ đã được nộp trực tuyến và đang chờ cán bộ kiểm tra để tiếp nhận.",
                 "Bạn chưa cần làm gì. Hãy theo dõi thông báo qua tin nhắn, thư điện tử hoặc trên Cổng dịch vụ "
                 "công; nếu cần bổ sung, cán bộ sẽ báo."),
        "en": _s("Submitted online",
                 "Your dossier was submitted online and is waiting for an officer to check and accept it.",
                 "Nothing to do yet. Watch for messages by SMS, e-mail or on the public service portal; you will "
                 "be told if anything must be added."),
        "zh": _s("已在线提交",
                 "您的材料已在线提交，正在等待工作人员审核受理。",
                 "目前无需操作。请留意短信、电子邮件或公共服务门户上的通知；如需补充材料，工作人员会通知您。"),
        "ko": _s("온라인 신청(접수 대기)",
                 "온라인으로 제출된 서류가 담당 공무원의 확인과 접수를 기다리고 있습니다.",
                 "지금은 하실 일이 없습니다. 문자, 이메일 또는 공공서비스 포털의 알림을 확인해 주세요. 보완이 "
                 "필요하면 담당자가 알려 드립니다."),
        "ja": _s("オンライン申請済み（受理待ち）",
                 "オンラインで提出された書類が、担当職員による確認・受理を待っています。",
                 "現時点で必要な手続きはありません。SMS、メール、または公共サービスポータルの通知をご確認ください。"
                 "追加が必要な場合は担当者から連絡があります。"),
    },
    2: {
        "vi": _s("Được tiếp nhận",
                 "Hồ sơ đã được tiếp nhận và chuyển đến cơ quan có thẩm quyền giải quyết.",
                 "Chờ đến ngày hẹn trả kết quả; giữ Giấy tiếp nhận hồ sơ và hẹn trả kết quả."),
        "en": _s("Accepted",
                 "Your dossier was accepted and passed to the agency that decides on it.",
                 "Wait for the appointment date and keep your receipt (the paper with the dossier code and the "
                 "appointment date)."),
        "zh": _s("已受理",
                 "您的材料已被受理，并已转交主管机关办理。",
                 "请等待约定的取件日期，并保管好受理及预约取件回执。"),
        "ko": _s("접수 완료",
                 "서류가 접수되어 담당 기관으로 넘겨졌습니다.",
                 "결과 교부 예정일까지 기다려 주시고, 접수증(신청 번호와 교부 예정일이 적힌 문서)을 보관해 주세요."),
        "ja": _s("受理済み",
                 "書類は受理され、審査する機関に回付されました。",
                 "結果交付予定日までお待ちください。受付票（申請番号と交付予定日が記載された書類）は保管してください。"),
    },
    3: {
        "vi": _s("Không được tiếp nhận",
                 "Hồ sơ không được tiếp nhận (ví dụ do thiếu giấy tờ hoặc không thuộc thẩm quyền); lý do được ghi "
                 "trong thông báo từ chối.",
                 "Đọc lý do trong thông báo từ chối, hoàn thiện hồ sơ rồi nộp lại; nếu chưa rõ, hãy hỏi Bộ phận "
                 "Một cửa."),
        "en": _s("Not accepted",
                 "Your dossier was not accepted (for example because documents were missing or another agency is "
                 "competent); the refusal notice gives the reason.",
                 "Read the reason in the refusal notice, complete your dossier and submit it again; if anything is "
                 "unclear, ask the one-stop desk."),
        "zh": _s("未予受理",
                 "您的材料未被受理（例如材料不全或不属于该机关管辖），原因见不予受理通知。",
                 "请阅读不予受理通知中的原因，补齐材料后重新提交；如有疑问，请咨询一站式窗口。"),
        "ko": _s("접수 불가",
                 "서류가 접수되지 않았습니다(예: 서류 누락 또는 관할 기관 상이). 사유는 접수 거부 통지서에 적혀 있습니다.",
                 "통지서의 사유를 확인하고 서류를 보완하여 다시 제출해 주세요. 궁금한 점은 원스톱 창구에 문의해 주세요."),
        "ja": _s("受理されず",
                 "書類は受理されませんでした（書類の不足や管轄違いなど）。理由は不受理通知に記載されています。",
                 "不受理通知の理由を確認し、書類を整えて再度提出してください。不明な点はワンストップ窓口にお問い合わせください。"),
    },
    4: {
        "vi": _s("Đang xử lý",
                 "Cơ quan có thẩm quyền đang giải quyết hồ sơ.",
                 "Bạn chưa cần làm gì; chờ đến ngày hẹn trả kết quả."),
        "en": _s("Being processed",
                 "The competent agency is working on your dossier.",
                 "Nothing to do for now; wait for the appointment date."),
        "zh": _s("正在办理",
                 "主管机关正在办理您的材料。",
                 "目前无需操作，请等待约定的取件日期。"),
        "ko": _s("처리 중",
                 "담당 기관이 서류를 처리하고 있습니다.",
                 "지금은 하실 일이 없습니다. 결과 교부 예정일까지 기다려 주세요."),
        "ja": _s("処理中",
                 "担当機関が書類を審査しています。",
                 "現時点で必要な手続きはありません。結果交付予定日までお待ちください。"),
    },
    5: {
        "vi": _s("Yêu cầu bổ sung giấy tờ",
                 "Cơ quan giải quyết cần thêm giấy tờ để tiếp tục xử lý hồ sơ.",
                 "Nộp bổ sung: {documents}. Nộp tại nơi đã nộp hồ sơ, hoặc trực tuyến trong hồ sơ này trên Cổng "
                 "dịch vụ công nếu bạn đã nộp trực tuyến; hồ sơ được xử lý tiếp khi nhận đủ giấy tờ."),
        "en": _s("More documents requested",
                 "The agency needs more documents before it can continue.",
                 "Add: {documents}. Hand them in where you submitted the dossier, or online in this dossier on the "
                 "public service portal if you applied online; processing continues once everything is received."),
        "zh": _s("需补充材料",
                 "办理机关需要补充材料才能继续办理。",
                 "请补充：{documents}。请到原提交地点递交；如为在线申请，可在公共服务门户的该办件中在线补交。"
                 "收齐材料后将继续办理。"),
        "ko": _s("서류 보완 요청",
                 "담당 기관이 처리를 계속하려면 추가 서류가 필요합니다.",
                 "보완 서류: {documents}. 서류를 제출한 곳에 내시거나, 온라인으로 신청하셨다면 공공서비스 포털의 해당 "
                 "신청 건에서 온라인으로 제출해 주세요. 서류가 모두 접수되면 처리가 계속됩니다."),
        "ja": _s("書類の追加提出が必要",
                 "処理を続けるために、担当機関が追加の書類を求めています。",
                 "追加書類：{documents}。申請した窓口に提出するか、オンライン申請の場合は公共サービスポータルの該当案件"
                 "からオンラインで提出してください。書類がそろい次第、処理が再開されます。"),
    },
    6: {
        "vi": _s("Yêu cầu thực hiện nghĩa vụ tài chính",
                 "Cần nộp phí, lệ phí hoặc thuế trước khi hồ sơ được xử lý tiếp.",
                 "Số tiền phải nộp: {amount}. Hãy thanh toán trực tuyến trên {portal}, tại mục thanh toán của hồ "
                 "sơ này; hồ sơ được xử lý tiếp sau khi hệ thống ghi nhận đã thanh toán."),
        "en": _s("Fees or taxes to pay",
                 "Fees, charges or taxes must be paid before processing continues.",
                 "Amount due: {amount}. Pay online on {portal}, in the payment section of this dossier; processing "
                 "continues once the payment is recorded."),
        "zh": _s("需缴纳费用或税款",
                 "需先缴纳规费、手续费或税款，才能继续办理。",
                 "应缴金额：{amount}。请在{portal}该办件的缴费栏目中在线支付；系统确认付款后将继续办理。"),
        "ko": _s("수수료·세금 납부 필요",
                 "처리를 계속하려면 수수료나 세금을 먼저 납부해야 합니다.",
                 "납부 금액: {amount}. {portal}에서 해당 신청 건의 결제 메뉴를 통해 온라인으로 납부해 주세요. "
                 "납부가 확인되면 처리가 계속됩니다."),
        "ja": _s("手数料・税金の納付が必要",
                 "処理を続けるには、手数料や税金を先に納付する必要があります。",
                 "納付額：{amount}。{portal}の該当案件の支払い画面からオンラインで納付してください。"
                 "納付が確認され次第、処理が再開されます。"),
    },
    7: {
        "vi": _s("Công dân yêu cầu rút hồ sơ",
                 "Hồ sơ đã được rút theo yêu cầu của người nộp và không được xử lý tiếp.",
                 "Không cần làm gì thêm. Nếu vẫn cần thủ tục này, hãy nộp hồ sơ mới."),
        "en": _s("Withdrawn at the applicant's request",
                 "The dossier was withdrawn at the applicant's request and will not be processed.",
                 "Nothing more to do. If you still need this procedure, submit a new dossier."),
        "zh": _s("已应申请人要求撤回",
                 "该材料已应申请人要求撤回，不再办理。",
                 "无需其他操作。如仍需办理此事项，请重新提交申请。"),
        "ko": _s("신청인 요청으로 철회",
                 "신청인의 요청에 따라 서류가 철회되어 더 이상 처리되지 않습니다.",
                 "더 하실 일은 없습니다. 이 절차가 계속 필요하시면 새로 신청해 주세요."),
        "ja": _s("申請者の依頼により取下げ",
                 "申請者の依頼により書類は取り下げられ、処理されません。",
                 "これ以上の手続きは不要です。引き続きこの手続きが必要な場合は、新たに申請してください。"),
    },
    8: {
        "vi": _s("Dừng xử lý",
                 "Cơ quan giải quyết đã dừng xử lý hồ sơ; lý do được ghi trong thông báo của cơ quan.",
                 "Đọc thông báo của cơ quan giải quyết; nếu chưa rõ lý do hoặc muốn tiếp tục, hãy liên hệ cơ quan "
                 "đó hoặc Bộ phận Một cửa."),
        "en": _s("Processing stopped",
                 "The agency stopped processing the dossier; its notice gives the reason.",
                 "Read the agency's notice; if the reason is unclear or you want to continue, contact the agency "
                 "or the one-stop desk."),
        "zh": _s("已停止办理",
                 "办理机关已停止办理该材料，原因见机关的通知。",
                 "请阅读办理机关的通知；如原因不明或希望继续办理，请联系该机关或一站式窗口。"),
        "ko": _s("처리 중단",
                 "담당 기관이 서류 처리를 중단했습니다. 사유는 기관의 통지서에 적혀 있습니다.",
                 "기관의 통지서를 확인해 주세요. 사유가 불분명하거나 계속 진행하고 싶으시면 해당 기관이나 원스톱 창구에 "
                 "문의해 주세요."),
        "ja": _s("処理停止",
                 "担当機関が書類の処理を停止しました。理由は機関の通知に記載されています。",
                 "機関の通知をご確認ください。理由が不明な場合や手続きを続けたい場合は、担当機関またはワンストップ窓口に"
                 "お問い合わせください。"),
    },
    9: {
        "vi": _s("Đã xử lý xong",
                 "Hồ sơ đã được giải quyết xong; kết quả đang chờ bạn nhận.",
                 "Nhận kết quả theo cách bạn đã chọn khi nộp: tại Bộ phận Một cửa (mang theo Giấy tiếp nhận hồ sơ "
                 "và giấy tờ tùy thân), qua bưu chính, hoặc trên Cổng dịch vụ công nếu là kết quả điện tử."),
        "en": _s("Result ready",
                 "Processing is complete and your result is waiting for you.",
                 "Collect the result the way you chose when applying: at the one-stop desk (bring your receipt and "
                 "an identity document), by post, or on the public service portal for an electronic result."),
        "zh": _s("已办结，待领取",
                 "办理已完成，结果正在等待您领取。",
                 "请按申请时选择的方式领取结果：到一站式窗口领取（请携带受理回执和身份证件）、邮寄，"
                 "或在公共服务门户获取电子结果。"),
        "ko": _s("처리 완료(결과 수령 대기)",
                 "처리가 끝나 결과를 받으실 수 있습니다.",
                 "신청 시 선택한 방법으로 결과를 받으세요: 원스톱 창구 방문(접수증과 신분증 지참), 우편, 또는 전자 "
                 "결과의 경우 공공서비스 포털."),
        "ja": _s("処理完了（受取待ち）",
                 "処理が完了し、結果の受け取りをお待ちしています。",
                 "申請時に選んだ方法で結果を受け取ってください：ワンストップ窓口（受付票と身分証明書をご持参ください）、"
                 "郵送、または電子結果の場合は公共サービスポータル。"),
    },
    10: {
        "vi": _s("Đã trả kết quả",
                 "Kết quả đã được trả cho người nộp hồ sơ.",
                 "Không cần làm gì thêm. Nếu kết quả có sai sót, hãy liên hệ cơ quan giải quyết."),
        "en": _s("Result handed over",
                 "The result has been handed over to the applicant.",
                 "Nothing more to do. If the result contains a mistake, contact the agency that issued it."),
        "zh": _s("已发放结果",
                 "结果已交给申请人。",
                 "无需其他操作。如结果有误，请联系出具结果的机关。"),
        "ko": _s("결과 교부 완료",
                 "결과가 신청인에게 교부되었습니다.",
                 "더 하실 일은 없습니다. 결과에 오류가 있으면 발급 기관에 문의해 주세요."),
        "ja": _s("結果交付済み",
                 "結果は申請者に交付されました。",
                 "これ以上の手続きは不要です。結果に誤りがある場合は、発行した機関にお問い合わせください。"),
    },
}

MESSAGES: dict[str, dict[str, str]] = {
    "heading": {"vi": "Hồ sơ {code}", "en": "Dossier {code}", "zh": "办件 {code}", "ko": "신청 건 {code}",
                "ja": "申請案件 {code}"},
    "procedure": {"vi": "Thủ tục", "en": "Procedure", "zh": "事项", "ko": "절차", "ja": "手続き"},
    "agency": {"vi": "Cơ quan giải quyết", "en": "Agency", "zh": "办理机关", "ko": "처리 기관", "ja": "担当機関"},
    "channel": {"vi": "Hình thức nộp", "en": "Submitted", "zh": "提交方式", "ko": "신청 방법", "ja": "申請方法"},
    "received": {"vi": "Ngày tiếp nhận", "en": "Received", "zh": "受理日期", "ko": "접수일", "ja": "受付日"},
    "appointment": {"vi": "Ngày hẹn trả", "en": "Appointment date", "zh": "约定取件日期", "ko": "결과 교부 예정일",
                    "ja": "交付予定日"},
    "completed": {"vi": "Ngày hoàn thành", "en": "Completed", "zh": "办结日期", "ko": "완료일", "ja": "完了日"},
    "status": {"vi": "Trạng thái", "en": "Status", "zh": "状态", "ko": "상태", "ja": "状況"},
    "next_step": {"vi": "Việc cần làm", "en": "Next step", "zh": "下一步", "ko": "다음 단계", "ja": "次の手続き"},
    "note": {"vi": "Ghi chú", "en": "Note", "zh": "备注", "ko": "비고", "ja": "備考"},
    "not_set": {"vi": "chưa có", "en": "not yet", "zh": "暂无", "ko": "없음", "ja": "未定"},
    "overdue_tag": {"vi": "quá hạn", "en": "overdue", "zh": "已逾期", "ko": "기한 초과", "ja": "期限超過"},
    "overdue": {
        "vi": "Hồ sơ đã quá ngày hẹn trả. Bạn có thể hỏi cơ quan giải quyết hoặc Bộ phận Một cửa về lý do và "
              "ngày hẹn mới.",
        "en": "The appointment date has passed. You can ask the agency or the one-stop desk why, and for a new "
              "date.",
        "zh": "已超过约定取件日期。您可以向办理机关或一站式窗口询问原因及新的日期。",
        "ko": "결과 교부 예정일이 지났습니다. 처리 기관이나 원스톱 창구에 사유와 새 예정일을 문의하실 수 있습니다.",
        "ja": "交付予定日を過ぎています。担当機関またはワンストップ窓口に理由と新しい予定日をお問い合わせいただけます。",
    },
    "channel_online": {"vi": "Trực tuyến", "en": "Online", "zh": "在线", "ko": "온라인", "ja": "オンライン"},
    "channel_offline": {"vi": "Trực tiếp", "en": "In person", "zh": "现场", "ko": "방문", "ja": "窓口"},
    "channel_post": {"vi": "Qua bưu chính", "en": "By post", "zh": "邮寄", "ko": "우편", "ja": "郵送"},
    "portal": {
        "vi": "Cổng Dịch vụ công quốc gia ({national})",
        "en": "the National Public Service Portal ({national})",
        "zh": "国家公共服务门户（{national}）",
        "ko": "국가 공공서비스 포털({national})",
        "ja": "国家公共サービスポータル（{national}）",
    },
    "portal_with_provincial": {
        "vi": "Cổng Dịch vụ công quốc gia ({national}) hoặc cổng dịch vụ công của tỉnh ({provincial})",
        "en": "the National Public Service Portal ({national}) or the provincial portal ({provincial})",
        "zh": "国家公共服务门户（{national}）或省公共服务门户（{provincial}）",
        "ko": "국가 공공서비스 포털({national}) 또는 성(省) 공공서비스 포털({provincial})",
        "ja": "国家公共サービスポータル（{national}）または省の公共サービスポータル（{provincial}）",
    },
    "missing_unknown": {
        "vi": "các giấy tờ ghi trong thông báo yêu cầu bổ sung của cơ quan giải quyết",
        "en": "the documents listed in the agency's request",
        "zh": "办理机关补正通知中列明的材料",
        "ko": "담당 기관의 보완 요청서에 적힌 서류",
        "ja": "担当機関の補正依頼に記載された書類",
    },
    "amount_unknown": {
        "vi": "xem thông báo của cơ quan giải quyết",
        "en": "see the agency's notice",
        "zh": "见办理机关的通知",
        "ko": "담당 기관의 통지서 참조",
        "ja": "担当機関の通知をご確認ください",
    },
    "demo": {
        "vi": "[DEMO] Hồ sơ mẫu để chạy thử, không phải hồ sơ thật.",
        "en": "[DEMO] Sample dossier for a trial run, not a real application.",
        "zh": "[DEMO] 用于试运行的示例办件，并非真实申请。",
        "ko": "[DEMO] 시험 운영용 예시 신청 건이며 실제 신청이 아닙니다.",
        "ja": "[DEMO] 試用のためのサンプル案件で、実際の申請ではありません。",
    },
    "hint_id_number": {
        "vi": "4 chữ số cuối của số định danh cá nhân (số CCCD) hoặc số hộ chiếu đã khai khi nộp hồ sơ",
        "en": "the last 4 digits of the personal identification number (citizen ID card) or passport number "
              "given when applying",
        "zh": "申请时填写的个人身份号码（公民身份证）或护照号码的后4位数字",
        "ko": "신청 시 기재한 개인식별번호(신분증) 또는 여권 번호의 마지막 4자리 숫자",
        "ja": "申請時に記入した個人識別番号（身分証明書）またはパスポート番号の下4桁",
    },
    "hint_phone": {
        "vi": "4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ",
        "en": "the last 4 digits of the phone number given when applying",
        "zh": "申请时填写的电话号码的后4位数字",
        "ko": "신청 시 기재한 전화번호의 마지막 4자리 숫자",
        "ja": "申請時に記入した電話番号の下4桁",
    },
    "hint_either": {
        "vi": "4 chữ số cuối của số định danh cá nhân (số CCCD, hộ chiếu) hoặc của số điện thoại đã khai khi nộp "
              "hồ sơ",
        "en": "the last 4 digits of the personal identification number (ID card or passport) or of the phone "
              "number given when applying",
        "zh": "申请时填写的个人身份号码（身份证或护照）或电话号码的后4位数字",
        "ko": "신청 시 기재한 개인식별번호(신분증·여권) 또는 전화번호의 마지막 4자리 숫자",
        "ja": "申請時に記入した個人識別番号（身分証明書・パスポート）または電話番号の下4桁",
    },
    "not_verified": {
        "vi": "Không tìm thấy hồ sơ khớp với mã {code} và các chữ số đã nhập. Hãy kiểm tra mã hồ sơ trên Giấy "
              "tiếp nhận hồ sơ và hẹn trả kết quả, và nhập {hint}. Sau {limit} lần nhập sai, việc tra cứu sẽ tạm "
              "khóa.",
        "en": "No dossier matches the code {code} with the digits you entered. Check the code on your receipt "
              "and enter {hint}. After {limit} wrong attempts, lookups are locked for a while.",
        "zh": "未找到与编号 {code} 和所输入数字相符的办件。请核对受理回执上的编号，并输入{hint}。"
              "输错{limit}次后，查询将被暂时锁定。",
        "ko": "번호 {code}와(과) 입력하신 숫자에 맞는 신청 건을 찾지 못했습니다. 접수증의 번호를 확인하시고 "
              "{hint}를 입력해 주세요. {limit}회 틀리면 조회가 잠시 잠깁니다.",
        "ja": "番号 {code} と入力された数字に一致する申請案件は見つかりませんでした。受付票の番号をご確認のうえ、"
              "{hint}を入力してください。{limit}回間違えると、照会がしばらくロックされます。",
    },
    "rate_limited": {
        "vi": "Đã có quá nhiều lần xác minh không đúng nên việc tra cứu đang tạm khóa. Vui lòng thử lại sau "
              "khoảng {minutes} phút, hoặc liên hệ cán bộ tại Bộ phận Một cửa để được hỗ trợ.",
        "en": "Too many wrong verifications: lookups are locked for now. Try again in about {minutes} min, or "
              "talk to staff at the one-stop desk.",
        "zh": "验证错误次数过多，查询已暂时锁定。请约{minutes}分钟后再试，或联系一站式窗口的工作人员。",
        "ko": "확인 정보가 여러 번 틀려 조회가 잠시 잠겼습니다. 약 {minutes}분 후에 다시 시도하시거나 원스톱 창구 "
              "담당자에게 문의해 주세요.",
        "ja": "確認の誤りが多すぎるため、照会を一時的にロックしました。約{minutes}分後に再度お試しいただくか、"
              "ワンストップ窓口の職員にご相談ください。",
    },
    "invalid_code": {
        "vi": "Mã hồ sơ chưa đúng dạng. Mã in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, ví dụ "
              "H56.14-240823-0001.",
        "en": "That does not look like a dossier code. The code is printed on your receipt, for example "
              "H56.14-240823-0001.",
        "zh": "办件编号格式不正确。编号印在受理回执上，例如 H56.14-240823-0001。",
        "ko": "신청 번호 형식이 올바르지 않습니다. 번호는 접수증에 인쇄되어 있습니다(예: H56.14-240823-0001).",
        "ja": "申請番号の形式が正しくありません。番号は受付票に印刷されています（例：H56.14-240823-0001）。",
    },
    "invalid_verification": {
        "vi": "Vui lòng nhập đúng 4 chữ số: {hint}.",
        "en": "Please enter exactly 4 digits: {hint}.",
        "zh": "请输入4位数字：{hint}。",
        "ko": "숫자 4자리를 입력해 주세요: {hint}.",
        "ja": "4桁の数字を入力してください：{hint}。",
    },
}

_COLON = {"vi": ": ", "en": ": ", "zh": "：", "ko": ": ", "ja": "："}
_LIST_SEP = {"vi": "; ", "en": "; ", "zh": "；", "ko": "; ", "ja": "、"}
_DOT = {"vi": " · ", "en": " · ", "zh": " · ", "ko": " · ", "ja": " · "}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}")
    return lang


def message(key: str, lang: str, **values) -> str:
    """One message of `MESSAGES` in `lang`, with its placeholders filled."""
    text = MESSAGES[key][check_lang(lang)]
    return text.format(**values) if values else text


def status_text(code: int, lang: str) -> StatusText:
    return STATUS_TEXTS[int(code)][check_lang(lang)]


def verification_hint(verify_with: str, lang: str) -> str:
    return message(f"hint_{verify_with}", lang)


def format_amount(amount: int, lang: str) -> str:
    return format_currency(amount, "VND", locale=LOCALES[check_lang(lang)])


def format_when(value: str | None, lang: str) -> str:
    """A stored ISO date or date-time as the user's locale writes it (date-times in Vietnam time)."""
    if not value:
        return message("not_set", lang)
    when = parse_when(value)
    locale = LOCALES[check_lang(lang)]
    if isinstance(when, datetime):
        local = when.astimezone(VN_TZ)
        return f"{format_date(local.date(), 'long', locale=locale)} {format_time(local.time(), 'short', locale=locale)}"
    assert isinstance(when, date)
    return format_date(when, "long", locale=locale)


def portal(lang: str, provincial_portal: str = "") -> str:
    if provincial_portal:
        return message("portal_with_provincial", lang, national=NATIONAL_PORTAL, provincial=provincial_portal)
    return message("portal", lang, national=NATIONAL_PORTAL)


def next_step(status_code: int, lang: str, *, documents: tuple[str, ...] = (), amount: int | None = None,
              overdue: bool = False, provincial_portal: str = "") -> str:
    """The next step for a status: 5 names the documents to add, 6 the amount and how to pay online."""
    template = status_text(status_code, lang).next_step
    if status_code == 5:
        listed = _LIST_SEP[lang].join(d.strip() for d in documents if d.strip())
        text = template.format(documents=listed or message("missing_unknown", lang))
    elif status_code == 6:
        shown = format_amount(amount, lang) if amount is not None else message("amount_unknown", lang)
        text = template.format(amount=shown, portal=portal(lang, provincial_portal))
    else:
        text = template
    if overdue:
        text += " " + message("overdue", lang)
    return text


def line(label_key: str, value: str, lang: str) -> str:
    return f"{message(label_key, lang)}{_COLON[lang]}{value}"


def channel_name(channel: str, lang: str) -> str:
    key = f"channel_{channel}"
    return message(key, lang) if key in MESSAGES else channel


def dates_line(received_at: str | None, appointment_at: str | None, completed_at: str | None, overdue: bool,
               lang: str) -> str:
    appointment = format_when(appointment_at, lang)
    if overdue:
        appointment += f" ({message('overdue_tag', lang)})"
    return _DOT[lang].join([
        line("received", format_when(received_at, lang), lang),
        line("appointment", appointment, lang),
        line("completed", format_when(completed_at, lang), lang),
    ])
