"""Texts of the front-end router and handoff to staff (keys start with handoff_ or frontend_), in vi, en, zh, ko and ja (merged into `messages.MESSAGES`).

Nothing here states an office fact (hours, address, phone): those come only from data/office.yml,
and while it has none the texts say they are not known and point to the national portal.
"""

HANDOFF_MESSAGES: dict[str, dict[str, str]] = {
    "handoff_position": {
        "vi": "Yêu cầu của bạn đang ở vị trí số {position} trong hàng chờ.",
        "en": "Your request is number {position} in the queue.",
        "zh": "您的请求目前排在第 {position} 位。",
        "ko": "고객님의 요청은 현재 대기 순서 {position}번째입니다.",
        "ja": "ご依頼は現在、順番待ちの{position}番目です。",
    },
    "handoff_after_hours": {
        "vi": "Hiện đang ngoài giờ làm việc của Trung tâm; cán bộ sẽ làm việc trở lại vào {when} (giờ Việt Nam). Yêu cầu của bạn đang ở vị trí số {position} trong hàng chờ và được giữ đến lúc đó.",
        "en": "The centre is closed right now; staff will be back on {when} (Vietnam time). Your request is number {position} in the queue and stays there until then.",
        "zh": "现在是中心的非办公时间，工作人员将于{when}（越南时间）恢复办公。您的请求目前排在第 {position} 位，会一直保留到那时。",
        "ko": "지금은 센터 업무 시간이 아닙니다. 직원은 {when}(베트남 시간)에 업무를 재개합니다. 요청은 현재 대기 순서 {position}번째이며 그때까지 대기열에 남아 있습니다.",
        "ja": "現在はセンターの業務時間外です。職員は{when}（ベトナム時間）に業務を再開します。ご依頼は現在、順番待ちの{position}番目で、それまでそのまま残ります。",
    },
    "handoff_hours_unknown": {
        "vi": "Tôi chưa có thông tin về giờ làm việc của Trung tâm nên không biết khi nào cán bộ có thể trả lời. Yêu cầu của bạn đang ở vị trí số {position} trong hàng chờ. Bạn cũng có thể tra cứu trên {portal} hoặc liên hệ trực tiếp với Trung tâm.",
        "en": "I don't have the centre's working hours, so I can't tell when a staff member will be able to answer. Your request is number {position} in the queue. You can also look at {portal} or contact the centre directly.",
        "zh": "我暂时没有中心的办公时间信息，因此无法确定工作人员何时能够回复。您的请求目前排在第 {position} 位。您也可以访问 {portal}，或直接联系中心。",
        "ko": "센터의 업무 시간 정보가 없어 직원이 언제 답변할 수 있을지 알 수 없습니다. 요청은 현재 대기 순서 {position}번째입니다. {portal}에서 확인하시거나 센터에 직접 문의하실 수도 있습니다.",
        "ja": "センターの業務時間の情報がないため、職員がいつ返信できるかはお伝えできません。ご依頼は現在、順番待ちの{position}番目です。{portal} をご覧いただくか、センターに直接お問い合わせいただくこともできます。",
    },
    "handoff_ask_contact": {
        "vi": "Nếu muốn cán bộ liên hệ lại, bạn hãy nhắn số điện thoại hoặc địa chỉ e-mail của mình. Thông tin này chỉ dùng để liên hệ với bạn về yêu cầu này.",
        "en": "If you'd like a staff member to get back to you, send your phone number or e-mail address. It will only be used to contact you about this request.",
        "zh": "如果希望工作人员与您联系，请发送您的电话号码或电子邮箱。该信息仅用于就此请求与您联系。",
        "ko": "직원의 연락을 원하시면 전화번호나 이메일 주소를 보내 주세요. 이 정보는 이번 요청과 관련한 연락에만 사용됩니다.",
        "ja": "職員からの連絡をご希望の場合は、電話番号またはメールアドレスを送ってください。このご依頼に関する連絡にのみ使用します。",
    },
    "handoff_contact_saved": {
        "vi": "Cảm ơn bạn, tôi đã ghi lại thông tin liên hệ. Cán bộ sẽ dùng thông tin này để liên hệ lại với bạn về yêu cầu này.",
        "en": "Thank you, I've noted your contact details. A staff member will use them to get back to you about this request.",
        "zh": "谢谢，已记下您的联系方式。工作人员会通过它就此请求与您联系。",
        "ko": "감사합니다. 연락처를 기록했습니다. 직원이 이 연락처로 이번 요청에 대해 연락드릴 예정입니다.",
        "ja": "ありがとうございます。連絡先を控えました。職員がこのご依頼についてご連絡します。",
    },
    "handoff_contact_invalid": {
        "vi": "Tôi chưa đọc được số điện thoại hoặc e-mail này. Bạn hãy nhắn số điện thoại Việt Nam (dạng 09xx xxx xxx hoặc +84 9xx xxx xxx) hoặc một địa chỉ e-mail; hoặc cứ tiếp tục đặt câu hỏi.",
        "en": "I couldn't read that as a phone number or e-mail address. Please send a Vietnamese phone number (like 09xx xxx xxx or +84 9xx xxx xxx) or an e-mail address — or just carry on with your question.",
        "zh": "无法识别该电话号码或电子邮箱。请发送越南电话号码（如 09xx xxx xxx 或 +84 9xx xxx xxx）或电子邮箱地址，也可以直接继续提问。",
        "ko": "전화번호나 이메일 주소로 인식하지 못했습니다. 베트남 전화번호(09xx xxx xxx 또는 +84 9xx xxx xxx 형식)나 이메일 주소를 보내 주세요. 그냥 질문을 계속하셔도 됩니다.",
        "ja": "電話番号またはメールアドレスとして読み取れませんでした。ベトナムの電話番号（09xx xxx xxx または +84 9xx xxx xxx の形式）かメールアドレスを送ってください。そのままご質問を続けていただいても構いません。",
    },
    "handoff_claimed": {
        "vi": "Một cán bộ của Trung tâm đã tiếp nhận yêu cầu của bạn và sẽ nhắn cho bạn tại đây.",
        "en": "A member of the centre's staff has taken your request and will write to you here.",
        "zh": "中心的一位工作人员已受理您的请求，将在这里给您回复。",
        "ko": "센터 직원이 요청을 접수했으며 이곳으로 메시지를 보내 드릴 예정입니다.",
        "ja": "センターの職員がご依頼を担当することになりました。こちらでメッセージをお送りします。",
    },
    "handoff_with_staff": {
        "vi": "Bạn đang trao đổi với cán bộ của Trung tâm: cứ nhắn nội dung cần hỏi tại đây.",
        "en": "You're in touch with a member of the centre's staff: just type your message here.",
        "zh": "您正在与中心的工作人员沟通，请直接在这里输入您的问题。",
        "ko": "지금 센터 직원과 연결되어 있습니다. 이곳에 메시지를 입력해 주세요.",
        "ja": "現在センターの職員とやり取りしています。こちらにメッセージを入力してください。",
    },
    "handoff_closed": {
        "vi": "Cán bộ đã kết thúc trao đổi về yêu cầu này. Bạn đang trò chuyện lại với trợ lý tự động; cần hỏi gì về thủ tục hành chính cứ nhắn cho tôi.",
        "en": "The staff member has closed this request. You're back with the automated assistant — ask me anything about administrative procedures.",
        "zh": "工作人员已结束本次请求。您现在重新与自动助手对话，有任何行政手续问题都可以问我。",
        "ko": "직원이 이 요청을 종료했습니다. 다시 자동 도우미와 대화 중이니 행정절차에 관해 무엇이든 물어보세요.",
        "ja": "職員がこのご依頼への対応を終了しました。ここからは再び自動アシスタントがお答えします。行政手続きについて何でもお尋ねください。",
    },
    "frontend_unavailable": {
        "vi": "Xin lỗi, hiện tôi chưa trả lời được do sự cố kỹ thuật. Bạn vui lòng thử lại sau ít phút.",
        "en": "Sorry, I can't answer right now because of a technical problem. Please try again in a few minutes.",
        "zh": "抱歉，由于技术故障，我暂时无法回答。请几分钟后再试。",
        "ko": "죄송합니다. 기술적인 문제로 지금은 답변드릴 수 없습니다. 몇 분 후에 다시 시도해 주세요.",
        "ja": "申し訳ありません。技術的な問題のため、ただいまお答えできません。数分後にもう一度お試しください。",
    },
    "frontend_unavailable_retry": {
        "vi": "Xin lỗi, hiện tôi chưa trả lời được do sự cố kỹ thuật. Tôi sẽ trả lời tin nhắn của bạn ngay khi hệ thống hoạt động trở lại; bạn không cần gửi lại.",
        "en": "Sorry, I can't answer right now because of a technical problem. I'll answer your message as soon as the system is back; there's no need to send it again.",
        "zh": "抱歉，由于技术故障，我暂时无法回答。系统恢复后我会立即回复您的消息，无需重新发送。",
        "ko": "죄송합니다. 기술적인 문제로 지금은 답변드릴 수 없습니다. 시스템이 복구되는 대로 답변드릴 테니 다시 보내지 않으셔도 됩니다.",
        "ja": "申し訳ありません。技術的な問題のため、ただいまお答えできません。システムが復旧し次第お返事しますので、再送の必要はありません。",
    },
    "frontend_too_long": {
        "vi": "Tin nhắn quá dài (tối đa {limit} ký tự). Bạn vui lòng rút gọn hoặc chia thành nhiều tin.",
        "en": "Your message is too long (at most {limit} characters). Please shorten it or split it up.",
        "zh": "消息太长（最多 {limit} 个字符）。请精简或分几条发送。",
        "ko": "메시지가 너무 깁니다(최대 {limit}자). 줄이거나 나누어 보내 주세요.",
        "ja": "メッセージが長すぎます（最大{limit}文字）。短くするか、分けて送ってください。",
    },
    "frontend_stale_button": {
        "vi": "Nút này không còn dùng được. Bạn hãy nhắn câu hỏi hoặc dùng các nút mới nhất.",
        "en": "That button is no longer available. Please type your question or use the latest buttons.",
        "zh": "该按钮已失效。请直接输入问题，或使用最新的按钮。",
        "ko": "이 버튼은 더 이상 사용할 수 없습니다. 질문을 입력하시거나 가장 최근 버튼을 이용해 주세요.",
        "ja": "このボタンはもう使えません。ご質問を入力するか、最新のボタンをお使いください。",
    },
}
