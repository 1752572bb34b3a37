"""Everything the assistant says, in vi, en, zh, ko and ja: one catalogue used by the actions.

Vietnamese is the reference; the other languages are written by the project. `t(key, lang, **values)`
falls back to English, then Vietnamese, if a language lacks a key (a test checks none does).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "greet": {
        "vi": "Xin chào! Tôi là trợ lý thủ tục hành chính của tỉnh Quảng Ngãi. Bạn cần làm thủ tục gì? Ví dụ: “đăng ký khai sinh cho con”.",
        "en": "Hello! I'm the administrative-procedure assistant of Quảng Ngãi province. Which procedure do you need? For example: “temporary residence card”.",
        "zh": "您好！我是广义省行政手续助手。您想办理什么手续？例如：“外国人临时居住卡”。",
        "ko": "안녕하세요! 꽝응아이성 행정절차 안내 도우미입니다. 어떤 절차가 필요하신가요? 예: “임시거주증 발급”.",
        "ja": "こんにちは！クアンガイ省の行政手続き案内アシスタントです。どの手続きが必要ですか？例：「一時在留カードの申請」。",
    },
    "goodbye": {
        "vi": "Chúc bạn làm thủ tục thuận lợi. Hẹn gặp lại!",
        "en": "Good luck with your application. Goodbye!",
        "zh": "祝您办事顺利，再见！",
        "ko": "절차가 순조롭게 진행되길 바랍니다. 안녕히 가세요!",
        "ja": "手続きがうまく進みますように。さようなら！",
    },
    "thank": {
        "vi": "Không có gì! Bạn cần hỏi thêm gì cứ nhắn nhé.",
        "en": "You're welcome! Ask me anything else you need.",
        "zh": "不客气！还有其他问题请随时问我。",
        "ko": "천만에요! 더 궁금한 점이 있으면 물어보세요.",
        "ja": "どういたしまして！ほかにも何でも聞いてください。",
    },
    "bot_challenge": {
        "vi": "Tôi là trợ lý tự động, không phải cán bộ. Nếu cần, hãy nhắn “gặp cán bộ” để được chuyển cho nhân viên Trung tâm.",
        "en": "I'm an automated assistant, not a person. If you need, write “talk to staff” and I'll pass you to the centre's staff.",
        "zh": "我是自动助手，不是工作人员。如需人工服务，请输入“转人工”。",
        "ko": "저는 자동 도우미이며 사람이 아닙니다. 필요하시면 “상담원 연결”이라고 입력해 주세요.",
        "ja": "私は自動アシスタントで、人間ではありません。必要なら「職員と話したい」と入力してください。",
    },
    "out_of_scope": {
        "vi": "Xin lỗi, tôi chỉ hỗ trợ về thủ tục hành chính (hồ sơ, lệ phí, nơi nộp, tra cứu hồ sơ).",
        "en": "Sorry, I can only help with administrative procedures (documents, fees, where to apply, dossier status).",
        "zh": "抱歉，我只能解答行政手续相关问题（材料、费用、办理地点、办件进度）。",
        "ko": "죄송하지만 행정절차(서류, 수수료, 접수처, 처리 상태)에 관한 질문만 도와드릴 수 있습니다.",
        "ja": "申し訳ありませんが、行政手続き（書類・手数料・申請先・進捗確認）に関するご質問のみお手伝いできます。",
    },
    "fallback": {
        "vi": "Xin lỗi, tôi chưa hiểu ý bạn. Bạn có thể nói rõ thủ tục cần làm, hoặc nhắn “gặp cán bộ”.",
        "en": "Sorry, I didn't understand. Could you name the procedure you need, or write “talk to staff”?",
        "zh": "抱歉，我没有理解。请说明您要办理的手续，或输入“转人工”。",
        "ko": "죄송합니다. 이해하지 못했어요. 필요한 절차를 말씀해 주시거나 “상담원 연결”이라고 입력해 주세요.",
        "ja": "すみません、よく分かりませんでした。必要な手続きを教えていただくか、「職員と話したい」と入力してください。",
    },
    "error": {
        "vi": "Xin lỗi, hệ thống đang gặp sự cố. Bạn vui lòng thử lại sau ít phút hoặc nhắn “gặp cán bộ”.",
        "en": "Sorry, something went wrong on my side. Please try again in a few minutes or write “talk to staff”.",
        "zh": "抱歉，系统出现问题。请稍后再试，或输入“转人工”。",
        "ko": "죄송합니다. 시스템에 문제가 생겼습니다. 잠시 후 다시 시도하시거나 “상담원 연결”이라고 입력해 주세요.",
        "ja": "申し訳ありません、システムに問題が発生しました。しばらくしてから再度お試しいただくか、「職員と話したい」と入力してください。",
    },
    "ask_procedure": {
        "vi": "Bạn đang hỏi về thủ tục nào? Hãy mô tả ngắn gọn, ví dụ “cấp lại căn cước”.",
        "en": "Which procedure are you asking about? Describe it briefly, e.g. “reissue my ID card”.",
        "zh": "您问的是哪项手续？请简单描述，例如“补办身份证”。",
        "ko": "어떤 절차에 대해 묻고 계신가요? 예: “신분증 재발급”처럼 간단히 말씀해 주세요.",
        "ja": "どの手続きについてのご質問ですか？「身分証の再発行」のように簡単に教えてください。",
    },
    "anything_else": {
        "vi": "Vâng! Bạn cần tôi giúp gì thêm không?",
        "en": "Great! Is there anything else I can help with?",
        "zh": "好的！还有什么可以帮您？",
        "ko": "좋습니다! 더 도와드릴 일이 있을까요?",
        "ja": "承知しました！ほかにお手伝いできることはありますか？",
    },
    "did_you_mean": {
        "vi": "Có phải bạn muốn hỏi một trong các thủ tục sau?",
        "en": "Did you mean one of these procedures?",
        "zh": "您是指以下哪一项手续？",
        "ko": "다음 중 어느 절차를 말씀하시나요?",
        "ja": "次のいずれかの手続きでしょうか？",
    },
    "low_confidence": {
        "vi": "Tôi chưa chắc bạn cần thủ tục nào. Bạn có thể diễn đạt lại, hoặc tôi chuyển bạn cho cán bộ Trung tâm nhé?",
        "en": "I'm not sure which procedure you need. Could you rephrase it, or shall I pass you to the centre's staff?",
        "zh": "我不确定您需要哪项手续。请换个说法，或者我为您转接中心工作人员？",
        "ko": "어떤 절차가 필요하신지 확실하지 않습니다. 다시 말씀해 주시거나 센터 직원에게 연결해 드릴까요?",
        "ja": "どの手続きか確信が持てません。言い換えていただくか、センターの職員におつなぎしましょうか？",
    },
    "gap_topic": {
        "vi": "Thủ tục về {topic} không có trong danh mục thủ tục mà tôi có, nên tôi không thể hướng dẫn chính xác.",
        "en": "Procedures for {topic} are not in the catalogue of procedures I have, so I cannot guide you reliably.",
        "zh": "我掌握的手续目录中没有关于{topic}的手续，因此无法为您准确指引。",
        "ko": "{topic} 관련 절차는 제가 가진 절차 목록에 없어 정확히 안내해 드릴 수 없습니다.",
        "ja": "{topic}に関する手続きは、私が持つ手続き一覧にないため、正確にご案内できません。",
    },
    "gap_ask_staff": {
        "vi": "Cán bộ Trung tâm có thể cho bạn biết nơi nộp và hồ sơ cần có.",
        "en": "The centre's staff can tell you where to apply and what to bring.",
        "zh": "中心工作人员可以告诉您在哪里申请、需要准备什么。",
        "ko": "센터 직원이 신청 장소와 필요한 서류를 알려드릴 수 있습니다.",
        "ja": "申請先と必要書類はセンターの職員がご案内できます。",
    },
    "gap_related": {
        "vi": "Thủ tục có thể liên quan:",
        "en": "Possibly related procedures:",
        "zh": "可能相关的手续：",
        "ko": "관련이 있을 수 있는 절차:",
        "ja": "関連するかもしれない手続き：",
    },
    "card_summary_docs": {
        "vi": "Hồ sơ gồm {n} loại giấy tờ chính.",
        "en": "You need {n} main documents.",
        "zh": "需要准备 {n} 类主要材料。",
        "ko": "주요 서류 {n}종이 필요합니다.",
        "ja": "主な書類は {n} 種類です。",
    },
    "link_procedure_page": {
        "vi": "Xem trên Cổng DVC quốc gia",
        "en": "Open on the national portal",
        "zh": "在国家公共服务门户查看",
        "ko": "국가 공공서비스 포털에서 보기",
        "ja": "国の公共サービスポータルで見る",
    },
    "link_submit_online": {
        "vi": "Nộp hồ sơ trực tuyến",
        "en": "Apply online",
        "zh": "网上申请",
        "ko": "온라인 신청",
        "ja": "オンライン申請",
    },
    "link_provincial_portal": {
        "vi": "Cổng dịch vụ công tỉnh",
        "en": "Provincial public-service portal",
        "zh": "省公共服务门户",
        "ko": "성 공공서비스 포털",
        "ja": "省の公共サービスポータル",
    },
    "card_official_name": {
        "vi": "Tên chính thức: {name}",
        "en": "Official name (Vietnamese): {name}",
        "zh": "正式名称（越南语）：{name}",
        "ko": "공식 명칭(베트남어): {name}",
        "ja": "正式名称（ベトナム語）：{name}",
    },
    "card_link": {
        "vi": "Nộp trực tuyến: {url}",
        "en": "Apply online: {url}",
        "zh": "网上办理：{url}",
        "ko": "온라인 신청: {url}",
        "ja": "オンライン申請：{url}",
    },
    "button_documents": {"vi": "Giấy tờ cần nộp", "en": "Documents", "zh": "所需材料", "ko": "필요 서류", "ja": "必要書類"},
    "button_fee": {"vi": "Lệ phí", "en": "Fee", "zh": "费用", "ko": "수수료", "ja": "手数料"},
    "button_online": {"vi": "Nộp trực tuyến", "en": "Apply online", "zh": "网上办理", "ko": "온라인 신청", "ja": "オンライン申請"},
    "button_staff": {"vi": "Gặp cán bộ", "en": "Talk to staff", "zh": "转人工", "ko": "상담원 연결", "ja": "職員と話す"},
    "documents_header": {
        "vi": "Giấy tờ cần chuẩn bị cho “{name}”:",
        "en": "Documents for “{name}”:",
        "zh": "“{name}”所需材料：",
        "ko": "“{name}” 필요 서류:",
        "ja": "「{name}」の必要書類：",
    },
    "steps_header": {"vi": "Các bước:", "en": "Steps:", "zh": "办理步骤：", "ko": "절차:", "ja": "手順："},
    "documents_unknown": {
        "vi": "Tôi chưa có danh sách giấy tờ của thủ tục này. Bạn xem chi tiết tại: {url}",
        "en": "I don't have the document list of this procedure yet. See the details at: {url}",
        "zh": "我暂时没有该手续的材料清单。详情请见：{url}",
        "ko": "이 절차의 서류 목록은 아직 없습니다. 자세한 내용: {url}",
        "ja": "この手続きの書類一覧はまだありません。詳細はこちら：{url}",
    },
    "time_line": {"vi": "{channel}: {time}", "en": "{channel}: {time}", "zh": "{channel}：{time}", "ko": "{channel}: {time}", "ja": "{channel}：{time}"},
    "time_header": {
        "vi": "Thời hạn giải quyết “{name}”:",
        "en": "Processing time for “{name}”:",
        "zh": "“{name}”办理时限：",
        "ko": "“{name}” 처리 기간:",
        "ja": "「{name}」の処理期間：",
    },
    "time_unknown": {
        "vi": "Cổng dịch vụ công chưa ghi thời hạn cho thủ tục này. Xem thêm: {url}",
        "en": "The portal does not state a processing time for this procedure. More: {url}",
        "zh": "门户网站未注明该手续的办理时限。详情：{url}",
        "ko": "포털에 이 절차의 처리 기간이 나와 있지 않습니다. 자세히: {url}",
        "ja": "ポータルにはこの手続きの処理期間が記載されていません。詳細：{url}",
    },
    "unit_working_day": {"vi": "{n} ngày làm việc", "en": "{n} working days", "zh": "{n} 个工作日", "ko": "{n} 영업일", "ja": "{n} 営業日"},
    "unit_day": {"vi": "{n} ngày", "en": "{n} days", "zh": "{n} 天", "ko": "{n}일", "ja": "{n} 日"},
    "unit_hour": {"vi": "{n} giờ", "en": "{n} hours", "zh": "{n} 小时", "ko": "{n}시간", "ja": "{n} 時間"},
    # The national portal gives some times as a bare number ("1"): said as it stands, with no unit
    # guessed for it.
    "unit_none": {"vi": "{n} (Cổng Dịch vụ công không ghi đơn vị)", "en": "{n} (the portal gives no unit)",
                  "zh": "{n}（门户网站未注明单位）", "ko": "{n} (포털에 단위 표시 없음)", "ja": "{n}（ポータルに単位の記載なし）"},
    "unit_month": {"vi": "{n} tháng", "en": "{n} months", "zh": "{n} 个月", "ko": "{n}개월", "ja": "{n} か月"},
    "channel_online": {"vi": "Trực tuyến", "en": "Online", "zh": "网上办理", "ko": "온라인", "ja": "オンライン"},
    "channel_offline": {"vi": "Trực tiếp", "en": "In person", "zh": "现场办理", "ko": "방문 접수", "ja": "窓口"},
    "channel_post": {"vi": "Qua bưu chính", "en": "By post", "zh": "邮寄", "ko": "우편", "ja": "郵送"},
    "where": {
        "vi": "Cơ quan thực hiện “{name}”: {agency}.",
        "en": "“{name}” is handled by: {agency} (Vietnamese name).",
        "zh": "“{name}”的办理机关：{agency}（越南语名称）。",
        "ko": "“{name}” 담당 기관: {agency} (베트남어 명칭).",
        "ja": "「{name}」の担当機関：{agency}（ベトナム語名）。",
    },
    "office_unknown": {
        "vi": "Tôi chưa có địa chỉ và giờ làm việc của Trung tâm. Bạn vui lòng xem trên {portal} hoặc nhắn “gặp cán bộ”.",
        "en": "I don't have the centre's address and opening hours yet. Please check {portal} or write “talk to staff”.",
        "zh": "我暂时没有中心的地址和办公时间。请查看 {portal}，或输入“转人工”。",
        "ko": "센터의 주소와 업무 시간 정보가 아직 없습니다. {portal}에서 확인하시거나 “상담원 연결”이라고 입력해 주세요.",
        "ja": "センターの住所と受付時間はまだ登録されていません。{portal} でご確認いただくか、「職員と話したい」と入力してください。",
    },
    "office_known": {
        "vi": "{centre}: {address}.",
        "en": "{centre}: {address}.",
        "zh": "{centre}：{address}。",
        "ko": "{centre}: {address}.",
        "ja": "{centre}：{address}。",
    },
    "online_yes": {
        "vi": "Bạn có thể nộp “{name}” trực tuyến trên Cổng Dịch vụ công quốc gia: {url}. Đăng nhập, điền tờ khai điện tử, đính kèm bản chụp giấy tờ và thanh toán lệ phí trực tuyến nếu cổng cho phép.",
        "en": "You can apply for “{name}” online on the National Public Service Portal: {url}. Log in, fill in the e-form, attach scans of your documents, and pay the fee online where the portal offers it.",
        "zh": "“{name}”可在国家公共服务门户网上办理：{url}。登录后填写电子表格、上传材料扫描件，如门户支持可在线缴费。",
        "ko": "“{name}”은(는) 국가 공공서비스 포털에서 온라인으로 신청할 수 있습니다: {url}. 로그인 후 전자 신청서를 작성하고 서류 스캔본을 첨부하며, 포털에서 가능하면 수수료를 온라인으로 납부하세요.",
        "ja": "「{name}」は国家公共サービスポータルでオンライン申請できます：{url}。ログインして電子申請書に記入し、書類のスキャンを添付し、ポータルが対応していれば手数料もオンラインで支払えます。",
    },
    "online_no": {
        "vi": "Theo Cổng Dịch vụ công, “{name}” chưa nhận hồ sơ trực tuyến; bạn nộp trực tiếp hoặc qua bưu chính. Chi tiết: {url}",
        "en": "According to the portal, “{name}” cannot be submitted online yet; apply in person or by post. Details: {url}",
        "zh": "根据门户信息，“{name}”暂不支持网上提交，请现场或邮寄办理。详情：{url}",
        "ko": "포털에 따르면 “{name}”은(는) 아직 온라인 접수가 되지 않습니다. 방문 또는 우편으로 신청하세요. 자세히: {url}",
        "ja": "ポータルによると「{name}」はまだオンライン申請できません。窓口または郵送で申請してください。詳細：{url}",
    },
    "provincial_portal": {
        "vi": "Cổng dịch vụ công tỉnh: {url}",
        "en": "Provincial portal: {url}",
        "zh": "省公共服务门户：{url}",
        "ko": "성 공공서비스 포털: {url}",
        "ja": "省の公共サービスポータル：{url}",
    },
    "ask_dossier_code": {
        "vi": "Bạn cho tôi mã hồ sơ (in trên giấy biên nhận, ví dụ H56.14-240823-0001).",
        "en": "Please give me the dossier code (on your receipt, e.g. H56.14-240823-0001).",
        "zh": "请提供办件编号（在回执上，例如 H56.14-240823-0001）。",
        "ko": "접수증에 있는 서류 번호를 알려 주세요 (예: H56.14-240823-0001).",
        "ja": "受付票に記載の書類番号を教えてください（例：H56.14-240823-0001）。",
    },
    "ask_verify_digits": {
        "vi": "Để bảo vệ thông tin của bạn, hãy nhập 4 số cuối số định danh cá nhân (hoặc số điện thoại) của người nộp hồ sơ.",
        "en": "To protect your data, enter the last 4 digits of the applicant's identity number (or phone number).",
        "zh": "为保护您的信息，请输入申请人身份号码（或电话号码）的后4位。",
        "ko": "개인정보 보호를 위해 신청인 신분번호(또는 전화번호)의 마지막 4자리를 입력해 주세요.",
        "ja": "個人情報保護のため、申請者の個人識別番号（または電話番号）の下4桁を入力してください。",
    },
    "bad_dossier_code": {
        "vi": "Mã hồ sơ không đúng định dạng. Bạn kiểm tra lại trên giấy biên nhận nhé.",
        "en": "That dossier code doesn't look right. Please check it on your receipt.",
        "zh": "办件编号格式不正确，请核对回执。",
        "ko": "서류 번호 형식이 올바르지 않습니다. 접수증을 다시 확인해 주세요.",
        "ja": "書類番号の形式が正しくありません。受付票をご確認ください。",
    },
    "bad_verify_digits": {
        "vi": "Vui lòng nhập đúng 4 chữ số.",
        "en": "Please enter exactly 4 digits.",
        "zh": "请输入4位数字。",
        "ko": "숫자 4자리를 정확히 입력해 주세요.",
        "ja": "数字4桁を入力してください。",
    },
    "handoff": {
        "vi": "Tôi đã chuyển yêu cầu của bạn cho cán bộ Trung tâm kèm nội dung trò chuyện, nên bạn không cần nhắc lại câu hỏi. Cán bộ sẽ trả lời bạn tại đây.",
        "en": "I've passed your request, with our conversation so far, to the centre's staff, so you won't need to repeat your question. A staff member will reply here.",
        "zh": "我已将您的请求连同对话记录转给中心工作人员，您无需重复问题。工作人员会在这里回复您。",
        "ko": "지금까지의 대화 내용과 함께 요청을 센터 직원에게 전달했습니다. 질문을 반복하실 필요는 없으며, 직원이 이곳에서 답변드릴 예정입니다.",
        "ja": "これまでの会話と一緒にご依頼をセンターの職員に引き継ぎました。質問を繰り返す必要はありません。職員がここで返信します。",
    },
    "language_changed": {
        "vi": "Đã chuyển sang tiếng Việt.",
        "en": "Switched to English.",
        "zh": "已切换为中文。",
        "ko": "한국어로 변경했습니다.",
        "ja": "日本語に切り替えました。",
    },
    "ask_quantity": {
        "vi": "Lệ phí tính theo {unit}. Bạn cần bao nhiêu?",
        "en": "The fee is charged per {unit}. How many do you need?",
        "zh": "费用按{unit}计算。您需要多少？",
        "ko": "수수료는 {unit} 단위로 부과됩니다. 몇 개가 필요하신가요?",
        "ja": "手数料は{unit}単位です。いくつ必要ですか？",
    },
}


def _merge(*tables: dict[str, dict[str, str]]) -> None:
    # The front ends keep their texts in their own modules (one per part), merged into one catalogue.
    for table in tables:
        clash = MESSAGES.keys() & table.keys()
        if clash:
            raise RuntimeError(f"message keys defined twice: {sorted(clash)}")
        MESSAGES.update(table)


def t(key: str, lang: str | None, **values) -> str:
    texts = MESSAGES[key]
    template = texts.get(lang or "vi") or texts.get("en") or texts["vi"]
    return template.format(**values) if values else template


from .messages_handoff import HANDOFF_MESSAGES  # noqa: E402 - merged after the core catalogue
from .messages_telegram import TELEGRAM_MESSAGES  # noqa: E402
from .messages_web import WEB_MESSAGES  # noqa: E402

_merge(HANDOFF_MESSAGES, TELEGRAM_MESSAGES, WEB_MESSAGES)
