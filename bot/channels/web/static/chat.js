// The local web chat. Plain script, no build step, no CDN: it must work offline.
// Every text that comes from a user, the assistant or staff is put in the page with textContent,
// never innerHTML, so nothing they write can become markup.
"use strict";

(function () {
  const LANGS = ["vi", "en", "zh", "ko", "ja"];
  const HISTORY_MAX = 200;          // bubbles kept in localStorage across reloads
  const KEY = { chat: "thutuc.chat", lang: "thutuc.lang", after: "thutuc.after", history: "thutuc.history" };

  const $ = (id) => document.getElementById(id);
  const log = $("log"), form = $("composer"), input = $("text"), sendButton = $("send");
  const langSelect = $("lang"), statusLine = $("status");

  let strings = {};                 // {lang: {key: text}}, from GET /api/strings
  let maxText = 2000;
  let state = load();
  let pollAbort = null;

  function store(key, value) {
    try { localStorage.setItem(key, typeof value === "string" ? value : JSON.stringify(value)); } catch (e) { /* private mode: keep in memory */ }
  }

  function read(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  function newChatId() {
    // 128 random bits, hex: opaque, unguessable, and valid for the server's check (16–64 of [A-Za-z0-9_-]).
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function browserLang() {
    for (const l of navigator.languages || [navigator.language || ""]) {
      const short = String(l).slice(0, 2).toLowerCase();
      if (LANGS.includes(short)) return short;
    }
    return "vi";
  }

  function load() {
    let history = [];
    try { history = JSON.parse(read(KEY.history) || "[]"); } catch (e) { history = []; }
    let chat = read(KEY.chat);
    if (!chat || !/^[A-Za-z0-9_-]{16,64}$/.test(chat)) { chat = newChatId(); store(KEY.chat, chat); history = []; }
    const lang = LANGS.includes(read(KEY.lang)) ? read(KEY.lang) : browserLang();
    const after = parseInt(read(KEY.after) || "0", 10) || 0;
    return { chat, lang, after, history: Array.isArray(history) ? history : [] };
  }

  function save() {
    state.history = state.history.slice(-HISTORY_MAX);
    store(KEY.history, state.history);
    store(KEY.after, String(state.after));
    store(KEY.lang, state.lang);
  }

  function s(key) {
    const table = strings[state.lang] || strings.vi || {};
    return table[key] || (strings.en || {})[key] || key;
  }

  function applyStrings() {
    document.documentElement.lang = state.lang;
    document.title = s("web_title");
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = s(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = s(el.dataset.i18nPlaceholder); });
    langSelect.value = state.lang;
    input.maxLength = maxText;
    renderAll();
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  // --- rendering ---------------------------------------------------------------------------

  function whoLabel(item) {
    if (item.who === "user") return s("web_you");
    if (item.who === "staff") return s("web_staff");
    if (item.who === "system") return s("web_system");
    return s("web_bot");
  }

  function bubble(item, index) {
    const box = document.createElement("div");
    box.className = "msg " + item.who + (item.failed ? " failed" : "") + (item.pending ? " pending" : "");
    box.dataset.index = String(index);
    const who = document.createElement("div");
    who.className = "who";
    who.textContent = whoLabel(item);
    box.appendChild(who);
    if (item.text) {
      const text = document.createElement("div");
      text.className = "bubble";
      text.textContent = item.text;
      box.appendChild(text);
    }
    const actions = document.createElement("div");
    actions.className = "actions";
    for (const b of item.buttons || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.dataset.payload = b.payload;
      button.addEventListener("click", () => press(b));
      actions.appendChild(button);
    }
    for (const l of item.links || []) {
      const a = document.createElement("a");
      a.textContent = l.title;
      // Only our own /go/<id> addresses: the server counts the click and redirects.
      a.href = /^\/go\/[A-Za-z0-9_-]+$/.test(l.href) ? l.href : "#";
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.title = s("web_link_note");
      actions.appendChild(a);
    }
    if (item.failed) {
      const note = document.createElement("div");
      note.className = "note";
      note.textContent = item.offline ? s("web_offline") : item.pending ? s("web_not_sent") : s("web_not_sent_old");
      box.appendChild(note);
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "retry";
      retry.textContent = s("web_retry");
      retry.addEventListener("click", () => resend(index));
      actions.appendChild(retry);
    }
    if (actions.childElementCount) box.appendChild(actions);
    return box;
  }

  function renderAll() {
    log.replaceChildren();
    if (!state.history.length) {
      log.appendChild(bubble({ who: "bot", text: s("web_welcome") }, -1));
    }
    state.history.forEach((item, i) => log.appendChild(bubble(item, i)));
    log.scrollTop = log.scrollHeight;
  }

  function add(item) {
    state.history.push(item);
    if (state.history.length > HISTORY_MAX) { state.history = state.history.slice(-HISTORY_MAX); save(); renderAll(); return; }
    save();
    if (state.history.length === 1) { renderAll(); return; }
    log.appendChild(bubble(item, state.history.length - 1));
    log.scrollTop = log.scrollHeight;
  }

  function addReplies(replies) {
    for (const r of replies || []) {
      add({ who: ["staff", "system"].includes(r.sender) ? r.sender : "bot", text: r.text || "",
            buttons: r.buttons || [], links: r.links || [] });
    }
  }

  // --- talking to the server ----------------------------------------------------------------

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { ok: response.ok, status: response.status, data };
  }

  // --- sending: one ordered queue, nothing lost ---------------------------------------------
  // A user message (typed text or a button press) stays in the history marked `pending` until the
  // server says it was handled. When Rasa is down the router records nothing and answers a polite
  // notice; the page shows that once, keeps the message, and sends it again (in order, with a
  // growing pause) until it is handled, or at once when the user presses "Send again".
  const RETRY_FIRST = 5000, RETRY_MAX = 60000, AUTO_RETRY_FOR = 24 * 3600 * 1000;
  let sending = false, retryTimer = null, backoff = RETRY_FIRST;

  function setBusy(value) {
    sendButton.disabled = false;
    setStatus(value ? s("web_sending") : "");
  }

  async function deliver(index) {
    const item = state.history[index];
    const [path, body] = item.payload
      ? ["/api/button", { chat: state.chat, payload: item.payload }]
      : ["/api/message", { chat: state.chat, text: item.text, lang: state.lang }];
    let result;
    try {
      result = await post(path, body);
    } catch (e) {
      item.failed = true; item.offline = true; save(); renderAll();
      return "failed";
    }
    const { ok, status, data } = result;
    if (ok && data.handled) {
      item.pending = false; item.failed = false; item.offline = false;
      save(); renderAll();
      addReplies(data.replies);
      return "ok";
    }
    if (ok) {
      item.failed = true; item.offline = false;
      save(); renderAll();
      if (!item.notified) { item.notified = true; addReplies(data.replies); }
      return "failed";
    }
    if (status === 400) {
      // The input itself is refused: say why; sending it again would not help.
      item.pending = false; item.failed = false; item.refused = true;
      save(); renderAll();
      add({ who: "system", text: data.message || s("web_not_sent") });
      if (!item.payload && !input.value) input.value = item.text;
      return "refused";
    }
    item.failed = true; item.offline = status >= 500;
    save(); renderAll();
    if (data.message) setStatus(data.message);
    return "failed";
  }

  async function pump() {
    if (sending) return;
    sending = true;
    clearTimeout(retryTimer);
    setBusy(true);
    try {
      for (;;) {
        const index = state.history.findIndex((it) => it.pending);
        if (index < 0) { backoff = RETRY_FIRST; break; }
        const outcome = await deliver(index);
        if (outcome === "failed") {
          retryTimer = setTimeout(pump, backoff);
          backoff = Math.min(backoff * 2, RETRY_MAX);
          break;
        }
      }
    } finally {
      sending = false;
      setBusy(false);
    }
  }

  function send(text) {
    add({ who: "user", text, pending: true, at: Date.now() });
    pump();
  }

  function press(button) {
    add({ who: "user", text: button.title, payload: button.payload, pending: true, at: Date.now() });
    pump();
  }

  function resend(index) {
    const item = state.history[index];
    if (!item) return;
    item.pending = true; item.at = Date.now();
    save();
    backoff = RETRY_FIRST;
    if (!sending) pump();
  }

  async function chooseLanguage(lang) {
    state.lang = lang;
    save();
    applyStrings();
    try {
      const { ok, data } = await post("/api/language", { chat: state.chat, lang });
      if (ok) addReplies(data.replies);
    } catch (e) {
      setStatus(s("web_offline"));
    }
  }

  // Staff replies and other messages sent later arrive here (long poll; the server holds it ≤ 25 s).
  async function poll() {
    for (;;) {
      pollAbort = new AbortController();
      try {
        const url = "/api/poll?chat=" + encodeURIComponent(state.chat) + "&after=" + state.after + "&wait=25";
        const response = await fetch(url, { signal: pollAbort.signal });
        if (!response.ok) throw new Error("poll " + response.status);
        const data = await response.json();
        for (const m of data.messages || []) {
          addReplies(m.replies);
          state.after = Math.max(state.after, m.id);
        }
        state.after = Math.max(state.after, data.last || 0);
        save();
      } catch (e) {
        if (e.name === "AbortError") continue;
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  }

  function newChat() {
    state = { chat: newChatId(), lang: state.lang, after: 0, history: [] };
    store(KEY.chat, state.chat);
    save();
    renderAll();
    if (pollAbort) pollAbort.abort();
    input.focus();
  }

  // --- wiring ---------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  langSelect.addEventListener("change", () => chooseLanguage(langSelect.value));
  $("new-chat").addEventListener("click", newChat);

  async function start() {
    try {
      const response = await fetch("/api/strings");
      const data = await response.json();
      strings = data.strings || {};
      maxText = data.max_text || maxText;
    } catch (e) {
      setStatus("…");
    }
    // Messages left unhandled by an earlier visit: resend recent ones, offer a button for old ones.
    const now = Date.now();
    for (const item of state.history) {
      if (item.pending && !(now - (item.at || 0) < AUTO_RETRY_FOR)) { item.pending = false; item.failed = true; }
    }
    save();
    applyStrings();
    document.body.dataset.ready = "1";
    input.focus();
    poll();
    pump();
  }

  start();
})();
