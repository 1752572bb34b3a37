"""What is left of a follow-up question once the words that only ask *about* a procedure are gone.

"phí làm hộ chiếu bao nhiêu?" names a procedure (hộ chiếu) and asks its fee; "có nộp trực tuyến được
không?" only asks, about the procedure in context. Search alone cannot tell them apart: the second
matched "Dịch vụ công trực tuyến gửi, nhận đơn khởi kiện…" with high confidence through the words
"trực tuyến" and "nộp", so the assistant answered about lawsuits, and a new question about another
procedure ("làm sổ đỏ lần đầu cần giấy tờ gì") was answered about the previous one. The words below are
the vocabulary of the follow-up questions themselves (fee, online, documents, time, place, polite
and function words) in each language, never a procedure's subject; what remains after removing them
must still point at the procedure the search found (`SearchService.named_procedure`).
"""

from __future__ import annotations

import re

from ..i18n.script import clean

# Space-separated languages: whole words and phrases, lower case (Vietnamese with its accents: the
# actions search the text the NLU restored them to, and unaccented "co", "dau", "phi" are also
# "cơ", "đầu", "phi" of other words).
_WORDS = {
    "vi": """
        có thể | được không | được ko | có được | không | ko | hay không | nộp | trực tuyến | online |
        qua mạng | trên mạng | cổng dịch vụ công quốc gia | cổng dịch vụ công | dịch vụ công | cổng |
        quốc gia | toàn trình | một phần | hướng dẫn | từng bước | các bước | lệ phí | phí | bao nhiêu |
        tiền | hết | tốn | mất bao lâu | mất mấy ngày | mất mấy hôm | mất bao nhiêu | mất tiền | mất phí | giảm | bản | bộ | hồ sơ | giấy tờ | tài liệu | thành phần | gồm |
        những | gì | nào | cần | phải | mang | theo | chuẩn bị | mẫu | tờ khai | mẫu đơn | bản sao |
        bản chính | ở đâu | đâu | cơ quan nào | cơ quan | nơi | chỗ | địa chỉ | giải quyết | tiếp nhận |
        bao lâu | mấy ngày | mấy hôm | ngày làm việc | ngày | thời gian | thời hạn | trả kết quả |
        kết quả | lấy | nhận | xong | có | thì | là | làm | xin | thủ tục | tôi | mình | em | anh | chị |
        cho | của | và | với | để | như nào | như thế nào | thế nào | sao | ạ | vậy | nhỉ | ký số |
        thanh toán | chuyển khoản | trả | qua bưu điện | bưu điện | bưu chính | đi | đến | tại | ở | muốn |
        hỏi | về | cái | này | đó | rồi | chưa | nhé | với ạ | ảnh | ảnh thẻ | trung tâm phục vụ hành chính công |
        trung tâm | tỉnh | miễn phí | giá | trước khi | khi | tải | tải về | nằm | đường nào |
        đường | phường | xã | hay | hoặc | nếu | trực tiếp
    """,
    "en": """
        i | i'm | me | my | we | we're | our | you | your | can | could | do | does | is | it | its | are |
        the | a | an | to | for | of | on | in | at | by | with | and | or | how | what | which | where |
        when | who | much | many | long | cost | costs | fee | fees | price | pay | paying | payment |
        online | internet | portal | website | web | submit | submission | apply | application | file |
        send | documents | document | papers | paperwork | need | needed | required | require | bring |
        prepare | form | forms | copy | copies | original | originals | notarized | time | take | takes |
        days | day | weeks | working | processing | process | result | results | get | go | office |
        agency | address | handles | handle | there | this | that | please | tell | know | want | would |
        like | possible | still | step | steps | guide | by post | post | mail | e-payment | method |
        methods | discount | cheaper | cheap | free | any | so | then | about | procedure | service |
        public | do i | is there | also | again | be | done | ready | should | must | will | have | has |
        photo | photos | picture | proof | they | them | centre | center | one-stop | counter |
        electronically | dossier | list | department | before | if | charge | charged | fast | quick | quickly |
        in person | in-person
    """,
}
# Languages written without spaces between words: substrings, longest first.
_PHRASES = {
    "zh": """
        可以 | 能不能 | 能 | 吗 | 网上 | 在线 | 线上 | 办理 | 办 | 申请 | 提交 | 递交 | 材料 | 文件 |
        需要 | 什么 | 哪些 | 多少 | 钱 | 费用 | 手续费 | 收费 | 多长时间 | 多久 | 几天 | 工作日 | 几个 |
        时间 | 结果 | 在哪里 | 去哪里 | 哪里 | 在哪 | 去哪 | 哪个部门 | 地址 | 机关 | 部门 | 怎么 | 如何 | 我们 | 我 | 的 | 了 | 呢 |
        是 | 要 | 有 | 复印件 | 原件 | 公证 | 步骤 | 流程 | 付款 | 支付 | 便宜 | 优惠 | 邮寄 | 门户 |
        公共服务 | 服务 | 手续 | 表格 | 完成 | 处理 | 带 | 准备 | 去 | 在 | 想 | 证件 | 照片 | 免费 |
        行政服务中心 | 中心 | 一份 | 份 | 全程 | 地图 | 用 | vneid | 邮费 | 寄过去 | 寄 | 的话 | 哪个 | 窗口 | 两份 | 两 | 直接 | 审核 | 领 | 上传 | 证明文件
    """,
    "ko": """
        온라인으로 | 온라인 | 인터넷 | 신청 | 제출 | 가능해요 | 가능한가요 | 가능 | 하나요 | 할 수 | 있나요 |
        있어요 | 수수료는 | 수수료 | 비용은 | 비용 | 얼마예요 | 얼마 | 서류는 | 서류 | 필요한 | 필요해요 |
        필요 | 무엇 | 어떤 | 어디서 | 어디에 | 어디 | 기관 | 주소 | 기간 | 얼마나 | 걸려요 | 걸리나요 |
        며칠 | 처리 | 결과 | 언제 | 사본 | 원본 | 공증 | 방법 | 결제 | 우편 | 포털 | 서비스 | 절차 |
        제가 | 우리 | 하려면 | 하고 싶어요 | 싶어요 | 돼요 | 되나요 | 해요 | 받고 | 받으려면 | 준비 |
        가야 | 하나 | 뭐가 | 뭐 | 요 | 무료인가요 | 무료 | 가격 | 가입 | 사진 | 센터 | vneid로 | vneid | 지도 | 직접 | 방문
    """,
    "ja": """
        オンラインで | オンライン | インターネット | ネット | 申請 | 提出 | できますか | できる | ですか |
        ますか | 手数料 | 費用 | 料金 | いくら | 書類 | 必要 | 何が | 何 | なに | どこで | どこ | 窓口 |
        住所 | 機関 | 期間 | どのくらい | 何日 | かかりますか | かかる | 処理 | 結果 | いつ | コピー |
        原本 | 写し | 公証 | 方法 | 支払い | 郵送 | ポータル | サービス | 手続き | 私 | したい | ください |
        教えて | 写真 | 無料 | センター | vneid | 地図 | 直接 | には | では | の | は | を | に | で | が | か | も | たい | と
    """,
}


def _split(block: str) -> list[str]:
    # Longest first, then alphabetical: a fixed order, so overlapping phrases ("在哪", "哪里") are
    # always removed the same way.
    return sorted({w.strip() for w in block.split("|") if w.strip()}, key=lambda w: (-len(w), w))


# The English words other languages borrow ("nộp online"); not the rest of English: "an", "do", "can"
# are also Vietnamese syllables ("an ninh", "do", "can thiệp").
_BORROWED = _split("online | internet | portal | website | web | e-payment | e-submit | vneid")
# Removed one phrase after another, longest first (whole words in the space-separated languages,
# substrings in the others): removing "bao nhiêu" from "mất bao nhiêu tiền" lets "mất tiền" go too.
_REMOVED = {lang: [(f" {w} ", " ") for w in _split(block) + _BORROWED] for lang, block in _WORDS.items()} | {
    lang: [(p, " ") for p in _split(block)] + [(f" {w} ", " ") for w in _BORROWED] for lang, block in _PHRASES.items()
}
_PUNCT = re.compile(r"[^\w\s'-]+")

# "Is X needed / accepted?" asks about a paper for the procedure in context, even when X is the name
# of another procedure: "có cần hộ chiếu không?" is no passport application.
_REQUIREMENT = {
    "vi": re.compile(r"\b(có cần|cần phải|phải có|có phải|có bắt buộc|bắt buộc)\b.*\b(không|ko|k)\b"),
    "en": re.compile(r"^\s*(do|does|will|would|should|must)\s+(i|we|you|they|he|she|my|our)\b.*"
                     r"\b(need|require|have to|bring)\b|\b(is|are)\b.*\b(required|needed|necessary|"
                     r"mandatory|ok|okay|enough|accepted)\b"),
    "zh": re.compile(r"(需要|要不要|必须|一定要|用不用).*[吗么]|可以吗|行吗"),
    "ko": re.compile(r"필요해요|필요한가요|필요하나요|되나요|돼요\?|괜찮아요|괜찮나요"),
    "ja": re.compile(r"必要ですか|要りますか|いりますか|大丈夫ですか|いいですか|必要\?"),  # NFKC: ？ is ?
}


def asks_if_required(text: str, lang: str | None) -> bool:
    """Whether the question asks if something is needed or accepted ("có cần bản dịch công chứng
    không?", "do I need my passport?", "コピーで大丈夫ですか")."""
    pattern = _REQUIREMENT.get(lang or "")
    return bool(pattern and pattern.search(clean(text).lower()))


def residue(text: str, lang: str | None) -> str:
    """`text` without the follow-up vocabulary of its language (and the English words it borrows)."""
    text = f" {' '.join(_PUNCT.sub(' ', clean(text).lower()).split())} "
    for phrase, space in _REMOVED.get(lang or "", ()):
        while phrase in text:
            text = text.replace(phrase, space)
    return " ".join(w for w in text.split() if not w.isdigit())  # "10 copies how much": a quantity
