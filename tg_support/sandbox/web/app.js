// The sandbox web client: play any user against any bot through the control API.
// Plain JS, no build step. User text reaches the DOM only as text nodes (textContent,
// Node.append(string)); entities become elements built with createElement.
"use strict";

const PRESENT = new Set(["creator", "administrator", "member", "restricted"]);
const MESSAGE_EVENTS = ["message_created", "message_edited", "message_deleted"];
const STATE_EVENTS = [
  "user_created", "bot_created", "chat_created", "member_changed", "topic_created",
  "topic_edited", "topic_closed", "topic_reopened", "topic_deleted", "reset",
];

const $ = (id) => document.getElementById(id);
const st = {
  world: { bots: [], users: [], chats: [] },
  me: null,          // the user id the person plays
  view: null,        // {kind: "private", botId} | {kind: "group", chatId, threadId}
  expanded: new Set(),
  unread: new Map(), // chat key -> count
  loadToken: 0,
  messages: new Map(), // message_id -> message (the open view)
  buffer: null,        // message events that arrive while the open view is loading
};

// ------------------------------------------------------------------ helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  let data = null;
  try { data = await resp.json(); } catch (_) { /* not JSON */ }
  if (!resp.ok) throw new Error((data && (data.error || data.description)) || `HTTP ${resp.status}`);
  return data;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") p.set(k, String(v));
  return p.toString();
}

let toastTimer = null;
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 3500);
}

function alertDialog(text) {
  const d = $("alert");
  $("alert-text").textContent = text;
  if (typeof d.showModal === "function") { if (!d.open) d.showModal(); $("alert-ok").focus(); }
  else window.alert(text);
}

function fail(err) { toast(`⚠ ${err.message || err}`); }

function fullName(u) {
  if (!u) return "";
  return [u.first_name, u.last_name].filter(Boolean).join(" ") || u.title || String(u.id);
}

function keepFocus(container, fn) {
  const a = document.activeElement;
  const key = a && container.contains(a) && a.dataset ? a.dataset.fk : null;
  const inside = a && container.contains(a);
  fn();
  if (key) {
    const again = container.querySelector(`[data-fk="${CSS.escape(key)}"]`);
    if (again) { again.focus(); return; }
  }
  if (inside && !container.contains(document.activeElement)) container.focus();
}

function safeUrl(raw) {
  try {
    const u = new URL(raw, location.href);
    if (["http:", "https:", "mailto:", "tg:"].includes(u.protocol)) return u.href;
  } catch (_) { /* invalid */ }
  return null;
}

// ------------------------------------------------------------------ world

const botIds = () => new Set(st.world.bots.map((b) => b.id));
const meUser = () => st.world.users.find((u) => u.id === st.me) || null;
const chatById = (id) => st.world.chats.find((c) => c.id === id && c.type !== "private") || null;
const botById = (id) => st.world.bots.find((b) => b.id === id) || null;

function myGroups() {
  return st.world.chats.filter((c) => c.type !== "private"
    && (c.members || []).some((m) => m.user_id === st.me && PRESENT.has(m.status)));
}

function topicsOf(chat) {
  const named = (chat.topics || []).filter((t) => t.message_thread_id !== 1);
  return [{ message_thread_id: 1, name: "General" }, ...named];
}

function viewKey(v) {
  if (!v) return "";
  if (v.kind === "private") return `p:${v.botId}`;
  return v.threadId ? `t:${v.chatId}:${v.threadId}` : `g:${v.chatId}`;
}

function groupBotId(chat) {
  const ids = botIds();
  const m = (chat.members || []).find((x) => ids.has(x.user_id) && PRESENT.has(x.status));
  return m ? m.user_id : null;
}

async function loadState() {
  st.world = await api("GET", "/control/state");
  if (st.me !== null && !meUser()) st.me = null;
  if (st.me === null && st.world.users.length) st.me = st.world.users[0].id;
  if (st.view && st.view.kind === "group" && !myGroups().some((c) => c.id === st.view.chatId)) st.view = null;
  if (st.view && st.view.kind === "private" && !botById(st.view.botId)) st.view = null;
  renderPeople();
  renderChats();
  renderHeader();
}

let stateTimer = null;
function scheduleState() {
  clearTimeout(stateTimer);
  stateTimer = setTimeout(() => loadState().catch(fail), 60);
}

// ------------------------------------------------------------------ sidebar

function renderPeople() {
  const box = $("people");
  keepFocus(box, () => {
    box.replaceChildren(...st.world.users.map((u) => el("button", {
      type: "button", class: "person", "aria-pressed": String(u.id === st.me),
      dataset: { personId: String(u.id), fk: `person:${u.id}` }, dir: "auto",
      onclick: () => selectPerson(u.id),
    }, fullName(u), u.language_code ? el("span", { class: "lang" }, `(${u.language_code})`) : null)));
    if (!st.world.users.length) box.append(el("p", { class: "cmd-empty" }, "No people yet: add one below."));
  });
}

function chatButton(key, icon, name, kind, onclick) {
  const n = st.unread.get(key) || 0;
  return el("button", {
    type: "button", class: "chat-item", "aria-current": String(viewKey(st.view) === key),
    dataset: { chatKey: key, fk: `chat:${key}` }, onclick,
  }, el("span", { "aria-hidden": "true" }, icon), el("span", { class: "name", dir: "auto" }, name),
  kind ? el("span", { class: "kind" }, kind) : null,
  n ? el("span", { class: "badge", "aria-label": `${n} unread` }, String(n)) : null);
}

function renderChats() {
  const list = $("chats");
  keepFocus(list, () => {
    list.replaceChildren();
    if (st.me === null) return;
    for (const bot of st.world.bots) {
      const key = `p:${bot.id}`;
      list.append(el("li", {}, el("div", { class: "chat-row" },
        chatButton(key, "🤖", bot.first_name || bot.username, bot.username ? `@${bot.username}` : "bot",
          () => openView({ kind: "private", botId: bot.id })))));
    }
    for (const chat of myGroups()) {
      const li = el("li");
      const row = el("div", { class: "chat-row" });
      if (chat.is_forum) {
        const open = st.expanded.has(chat.id);
        row.append(el("button", {
          type: "button", class: "expander", "aria-expanded": String(open),
          "aria-label": `${open ? "Hide" : "Show"} topics of ${chat.title}`,
          dataset: { fk: `exp:${chat.id}`, expand: String(chat.id) },
          onclick: () => { if (open) st.expanded.delete(chat.id); else st.expanded.add(chat.id); renderChats(); },
        }, open ? "▾" : "▸"));
        let total = 0;
        for (const t of topicsOf(chat)) total += st.unread.get(`t:${chat.id}:${t.message_thread_id}`) || 0;
        if (total) st.unread.set(`g:${chat.id}`, total); else st.unread.delete(`g:${chat.id}`);
        row.append(chatButton(`g:${chat.id}`, "👥", chat.title, "forum", () => {
          st.expanded.add(chat.id);
          openView({ kind: "group", chatId: chat.id, threadId: 1 });
        }));
        li.append(row);
        if (open) {
          const ul = el("ul", { class: "topic-list", "aria-label": `Topics of ${chat.title}` });
          for (const t of topicsOf(chat)) {
            const key = `t:${chat.id}:${t.message_thread_id}`;
            ul.append(el("li", {}, chatButton(key, t.is_closed ? "🔒" : "#", t.name, null,
              () => openView({ kind: "group", chatId: chat.id, threadId: t.message_thread_id }))));
          }
          li.append(ul);
        }
      } else {
        row.append(chatButton(`g:${chat.id}`, "👥", chat.title, chat.type,
          () => openView({ kind: "group", chatId: chat.id, threadId: null })));
        li.append(row);
      }
      list.append(li);
    }
  });
}

function selectPerson(uid) {
  if (uid === st.me) return;
  st.me = uid;
  st.unread.clear();
  const v = st.view;
  if (v && v.kind === "group" && !myGroups().some((c) => c.id === v.chatId)) st.view = null;
  renderPeople();
  renderChats();
  if (st.view) openView(st.view); else { renderHeader(); renderMessages([]); }
}

// ------------------------------------------------------------------ conversation

function renderHeader() {
  const title = $("chat-title");
  const sub = $("chat-sub");
  const me = meUser();
  const who = me ? `you are ${fullName(me)}${me.language_code ? ` (${me.language_code})` : ""}` : "";
  $("compose").hidden = !st.view || !me;
  if (!st.view) {
    title.textContent = me ? "Pick a chat" : "Add a person to start";
    sub.textContent = who;
    return;
  }
  if (st.view.kind === "private") {
    const bot = botById(st.view.botId);
    title.textContent = bot ? (bot.first_name || bot.username) : "bot";
    sub.textContent = [bot && bot.username ? `@${bot.username}` : "bot", who].filter(Boolean).join(" · ");
  } else {
    const chat = chatById(st.view.chatId);
    const topic = chat && st.view.threadId ? topicsOf(chat).find((t) => t.message_thread_id === st.view.threadId) : null;
    title.textContent = chat ? (topic ? `${chat.title} › ${topic.name}` : chat.title) : "group";
    const n = chat ? (chat.members || []).filter((m) => PRESENT.has(m.status)).length : 0;
    sub.textContent = `${n} members · ${who}`;
  }
}

function openView(view) {
  st.view = view;
  st.unread.delete(viewKey(view));
  closeCommands();
  renderChats();
  renderHeader();
  return loadMessages();
}

function viewChatParams() {
  const v = st.view;
  if (v.kind === "private") return { chat_id: st.me, bot_id: v.botId };
  return { chat_id: v.chatId };
}

async function loadMessages() {
  const token = ++st.loadToken;
  if (!st.view || st.me === null) { renderMessages([]); return; }
  const params = viewChatParams();
  if (st.view.kind === "group" && st.view.threadId) params.thread_id = st.view.threadId;
  try {
    st.buffer = [];
    const msgs = await api("GET", `/control/messages?${qs(params)}`);
    if (token !== st.loadToken) return;
    renderMessages(msgs);
    // events that raced the fetch: apply the ones newer than what was loaded
    const buffered = st.buffer;
    st.buffer = null;
    for (const [kind, msg] of buffered) {
      const have = st.messages.get(msg.message_id);
      if (!have || (have.seq || 0) < (msg.seq || 0)) patchMessage(kind, msg);
    }
  } catch (err) {
    if (token === st.loadToken) { st.buffer = null; renderMessages([]); fail(err); }
  }
}

function nearBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 120; }

function renderMessages(msgs) {
  const box = $("messages");
  st.messages = new Map(msgs.map((m) => [m.message_id, m]));
  keepFocus(box, () => {
    box.replaceChildren(...msgs.map(renderMessage));
    if (!msgs.length) box.append(el("li", { class: "empty" }, st.view ? "No messages here yet." : ""));
  });
  renderReplyKeyboard();
  box.scrollTop = box.scrollHeight;
}

function patchMessage(kind, msg) {
  const box = $("messages");
  const stick = nearBottom(box) || (msg.from && msg.from.id === st.me);
  const old = box.querySelector(`li[data-message-id="${msg.message_id}"]`);
  keepFocus(box, () => {
    if (kind === "message_deleted" || msg.deleted) {
      st.messages.delete(msg.message_id);
      if (old) old.remove();
      return;
    }
    st.messages.set(msg.message_id, msg);
    const node = renderMessage(msg);
    if (old) old.replaceWith(node);
    else {
      const empty = box.querySelector(".empty");
      if (empty) empty.remove();
      box.append(node);
    }
  });
  renderReplyKeyboard();
  if (stick) box.scrollTop = box.scrollHeight;
}

const SERVICE_KEYS = [
  "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
  "supergroup_chat_created", "group_chat_created", "new_chat_members", "left_chat_member",
  "pinned_message", "new_chat_title", "migrate_to_chat_id", "migrate_from_chat_id",
  "general_forum_topic_hidden", "general_forum_topic_unhidden", "write_access_allowed",
];

function serviceText(m) {
  const who = fullName(m.from);
  if (m.forum_topic_created) return `${who} created the topic “${m.forum_topic_created.name}”`;
  if (m.forum_topic_edited) return m.forum_topic_edited.name ? `Topic renamed to “${m.forum_topic_edited.name}”` : "Topic edited";
  if (m.forum_topic_closed) return `${who} closed the topic`;
  if (m.forum_topic_reopened) return `${who} reopened the topic`;
  if (m.supergroup_chat_created || m.group_chat_created) return `${who} created the group`;
  if (m.new_chat_members) return `${m.new_chat_members.map(fullName).join(", ")} joined`;
  if (m.left_chat_member) return `${fullName(m.left_chat_member)} left`;
  if (m.pinned_message) return `${who} pinned a message`;
  if (m.new_chat_title) return `Group renamed to “${m.new_chat_title}”`;
  const key = SERVICE_KEYS.find((k) => k in m);
  return key ? key.replace(/_/g, " ") : "service message";
}

function isService(m) {
  return m.text === undefined && m.caption === undefined && !mediaLabel(m) && SERVICE_KEYS.some((k) => k in m);
}

function mediaLabel(m) {
  if (m.photo) return "🖼 Photo";
  if (m.document) return `📄 ${m.document.file_name || "Document"}`;
  if (m.sticker) return `${m.sticker.emoji || "🙂"} Sticker`;
  if (m.voice) return `🎤 Voice message${m.voice.duration ? ` (${m.voice.duration}s)` : ""}`;
  if (m.video) return "🎬 Video";
  if (m.audio) return `🎵 ${m.audio.title || "Audio"}`;
  if (m.animation) return "🎞 GIF";
  if (m.video_note) return "⏺ Video message";
  if (m.poll) return `📊 Poll: ${m.poll.question}`;
  if (m.location) return "📍 Location";
  if (m.contact) return `👤 ${fullName(m.contact)}`;
  return null;
}

function renderMessage(m) {
  if (isService(m)) {
    return el("li", { class: "service", dir: "auto", dataset: { messageId: String(m.message_id) } }, serviceText(m));
  }
  const own = m.from && m.from.id === st.me;
  const bubble = el("div", { class: "bubble", dir: "auto" });
  if (!own) bubble.append(el("div", { class: "sender", dir: "auto" }, fullName(m.from) + (m.from && m.from.is_bot ? " 🤖" : "")));
  const rt = m.reply_to_message;
  if (rt && !rt.forum_topic_created) {
    bubble.append(el("div", { class: "reply", dir: "auto" }, `${fullName(rt.from)}: ${rt.text || rt.caption || mediaLabel(rt) || "…"}`));
  }
  const media = mediaLabel(m);
  if (media) bubble.append(el("span", { class: "media", dir: "auto" }, media));
  const body = m.text !== undefined ? m.text : m.caption;
  if (body) {
    const ents = (m.text !== undefined ? m.entities : m.caption_entities) || [];
    // no dir on the text itself: the bubble's dir="auto" resolves from it (children that
    // carry their own dir, like the sender name and the time, are skipped by that rule)
    bubble.append(el("div", { class: "text" }, renderEntities(body, ents)));
  }
  const time = new Date((m.date || 0) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  bubble.append(el("div", { class: "meta", dir: "auto" },
    m.edit_date ? el("span", { class: "edited", title: "edited" }, "edited") : null, time));
  const li = el("li", { class: own ? "msg own" : "msg", dataset: { messageId: String(m.message_id) } }, bubble);
  const kb = m.reply_markup && m.reply_markup.inline_keyboard;
  if (kb && kb.length) li.append(renderInlineKeyboard(m, kb));
  return li;
}

// Entities: offsets are UTF-16 code units, which is what JS strings index by.
function renderEntities(text, entities) {
  const frag = document.createDocumentFragment();
  const list = entities.filter((e) => e.length > 0)
    .slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(frag, 0, text.length, list);
  return frag;

  function build(parent, start, end, ents) {
    let pos = start;
    let i = 0;
    while (i < ents.length) {
      const e = ents[i];
      if (e.offset < pos) { i += 1; continue; } // overlapping: ignored
      if (e.offset >= end) break;
      if (e.offset > pos) parent.append(text.slice(pos, e.offset));
      const eEnd = Math.min(e.offset + e.length, end);
      const inner = [];
      let j = i + 1;
      while (j < ents.length && ents[j].offset < eEnd) {
        if (ents[j].offset + ents[j].length <= eEnd) inner.push(ents[j]);
        j += 1;
      }
      const [outer, slot] = entityNode(e, text.slice(e.offset, eEnd));
      build(slot, e.offset, eEnd, inner);
      parent.append(outer);
      pos = eEnd;
      i = j;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }
}

function entityNode(e, slice) {
  const simple = { bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code", blockquote: "blockquote", expandable_blockquote: "blockquote" };
  if (simple[e.type]) { const n = el(simple[e.type]); return [n, n]; }
  if (e.type === "pre") {
    const code = el("code", e.language ? { "data-language": e.language } : {});
    return [el("pre", {}, code), code];
  }
  if (e.type === "spoiler") {
    const n = el("span", { class: "spoiler", title: "spoiler: click to show", onclick: (ev) => ev.currentTarget.classList.add("shown") });
    return [n, n];
  }
  let href = null;
  if (e.type === "text_link") href = safeUrl(e.url);
  else if (e.type === "url") href = safeUrl(/^[a-z][a-z0-9+.-]*:/i.test(slice) ? slice : `https://${slice}`);
  else if (e.type === "email") href = safeUrl(`mailto:${slice}`);
  if (href) {
    const a = el("a", { href, target: "_blank", rel: "noopener noreferrer" });
    return [a, a];
  }
  if (e.type === "bot_command") {
    const a = el("a", { href: "#", class: "command", onclick: (ev) => { ev.preventDefault(); sendText(slice); } });
    return [a, a];
  }
  const n = el("span", { class: `ent-${String(e.type).replace(/[^a-z_]/g, "")}` });
  return [n, n];
}

function renderInlineKeyboard(m, rows) {
  const box = el("div", { class: "keyboard", role: "group", "aria-label": "Message buttons" });
  rows.forEach((row, r) => {
    const line = el("div", { class: "kb-row" });
    row.forEach((b, c) => {
      const fk = `kb:${m.message_id}:${r}:${c}`;
      let node;
      if (b.callback_data !== undefined) {
        node = el("button", {
          type: "button", class: "kb-btn", dir: "auto", dataset: { callback: b.callback_data, fk },
          onclick: (ev) => pressButton(m, b.callback_data, ev.currentTarget),
        }, b.text);
      } else if ((b.url || (b.login_url && b.login_url.url)) && safeUrl(b.url || b.login_url.url)) {
        node = el("a", { class: "kb-btn", dir: "auto", href: safeUrl(b.url || b.login_url.url), target: "_blank",
          rel: "noopener noreferrer", dataset: { fk } }, `${b.text} ↗`);
      } else {
        node = el("button", { type: "button", class: "kb-btn", dir: "auto", disabled: true,
          title: "not supported in the sandbox", dataset: { fk } }, b.text);
      }
      line.append(node);
    });
    box.append(line);
  });
  return box;
}

function renderReplyKeyboard() {
  // The latest reply keyboard the bot sent in this chat (or none after remove_keyboard).
  let markup = null;
  for (const m of st.messages.values()) {
    const rm = m.reply_markup;
    if (!m.from || !m.from.is_bot || !rm) continue;
    if (rm.keyboard) markup = rm;
    else if (rm.remove_keyboard) markup = null;
  }
  let bar = document.querySelector(".reply-kb");
  if (!markup || !st.view) { if (bar) bar.remove(); return; }
  if (!bar) { bar = el("div", { class: "reply-kb keyboard", role: "group", "aria-label": "Reply keyboard" }); $("compose").before(bar); }
  bar.replaceChildren(...markup.keyboard.map((row) => el("div", { class: "kb-row" }, ...row.map((b) => {
    const label = typeof b === "string" ? b : b.text;
    return el("button", { type: "button", class: "kb-btn", dir: "auto", onclick: () => sendText(label) }, label);
  }))));
}

// ------------------------------------------------------------------ acting

async function pressButton(m, data, btn) {
  if (st.me === null || !st.view) return;
  btn.classList.add("busy");
  btn.setAttribute("aria-busy", "true");
  try {
    const res = await api("POST", "/control/press", { user_id: st.me, ...viewChatParams(), message_id: m.message_id, data });
    const ans = await api("GET", `/control/callback_answers/${encodeURIComponent(res.callback_query_id)}?wait=15`);
    if (ans.answered && ans.answer) {
      if (ans.answer.text) { if (ans.answer.show_alert) alertDialog(ans.answer.text); else toast(ans.answer.text); }
      if (ans.answer.url) toast(`The bot opens ${ans.answer.url}`);
    }
  } catch (err) {
    fail(err);
  } finally {
    btn.classList.remove("busy");
    btn.removeAttribute("aria-busy");
  }
}

async function sendText(text) {
  if (st.me === null || !st.view || !text.trim()) return false;
  const body = { user_id: st.me, ...viewChatParams(), text };
  if (st.view.kind === "group" && st.view.threadId && st.view.threadId !== 1) body.message_thread_id = st.view.threadId;
  try {
    await api("POST", "/control/send", body);
    return true;
  } catch (err) {
    fail(err);
    return false;
  }
}

async function onCompose(ev) {
  ev.preventDefault();
  const box = $("compose-text");
  const text = box.value;
  if (!text.trim()) return;
  box.value = "";
  autoSize();
  if (!(await sendText(text))) box.value = text;
}

function autoSize() {
  const box = $("compose-text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, 160)}px`;
}

// ------------------------------------------------------------------ commands menu

function closeCommands(focusButton) {
  const menu = $("cmd-menu");
  menu.hidden = true;
  $("cmd-btn").setAttribute("aria-expanded", "false");
  if (focusButton) $("cmd-btn").focus();
}

async function toggleCommands() {
  const menu = $("cmd-menu");
  if (!menu.hidden) { closeCommands(true); return; }
  if (!st.view || st.me === null) return;
  let botId = null;
  let chatId = st.me;
  if (st.view.kind === "private") botId = st.view.botId;
  else { chatId = st.view.chatId; botId = groupBotId(chatById(chatId) || {}); }
  let cmds = [];
  if (botId !== null) {
    try {
      const me = meUser();
      cmds = await api("GET", `/control/commands/effective?${qs({ user_id: st.me, chat_id: chatId, bot_id: botId, language_code: me && me.language_code })}`);
    } catch (err) { fail(err); }
  }
  menu.replaceChildren(...cmds.map((c) => el("button", {
    type: "button", class: "cmd-item", role: "menuitem", dataset: { command: c.command },
    onclick: () => { closeCommands(false); sendText(`/${c.command}`); $("compose-text").focus(); },
  }, el("strong", {}, `/${c.command}`), el("span", { class: "desc", dir: "auto" }, c.description))));
  if (!cmds.length) menu.append(el("p", { class: "cmd-empty" }, "This bot has no commands for you here."));
  menu.hidden = false;
  $("cmd-btn").setAttribute("aria-expanded", "true");
  const first = menu.querySelector("button");
  if (first) first.focus();
}

function onMenuKey(ev) {
  const items = [...$("cmd-menu").querySelectorAll("button")];
  const i = items.indexOf(document.activeElement);
  if (ev.key === "Escape") { ev.preventDefault(); closeCommands(true); }
  else if (ev.key === "ArrowDown" && items.length) { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
  else if (ev.key === "ArrowUp" && items.length) { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
}

// ------------------------------------------------------------------ live updates

function affectsView(d) {
  const v = st.view;
  if (!v || st.me === null) return false;
  if (v.kind === "private") return d.chat_id === st.me && d.bot_id === v.botId;
  if (d.chat_id !== v.chatId) return false;
  if (!v.threadId) return true;
  return (d.message.message_thread_id || 1) === v.threadId;
}

function onMessageEvent(kind, ev) {
  const d = ev.data;
  if (!d || !d.message) return;
  if (affectsView(d)) {
    if (st.buffer) st.buffer.push([kind, d.message]); else patchMessage(kind, d.message);
    return;
  }
  if (kind !== "message_created" || st.me === null || (d.message.from && d.message.from.id === st.me)) return;
  let key = null;
  if (d.bot_id !== undefined && d.chat_id === st.me) key = `p:${d.bot_id}`;
  else {
    const chat = myGroups().find((c) => c.id === d.chat_id);
    if (chat) key = chat.is_forum ? `t:${chat.id}:${d.message.message_thread_id || 1}` : `g:${chat.id}`;
  }
  if (key) { st.unread.set(key, (st.unread.get(key) || 0) + 1); renderChats(); }
}

function connectEvents() {
  const es = new EventSource("/control/events");
  let dropped = false;
  es.onopen = () => {
    $("conn").textContent = "● live";
    if (dropped) { dropped = false; loadState().then(loadMessages).catch(fail); }
  };
  es.onerror = () => { dropped = true; $("conn").textContent = "reconnecting…"; };
  for (const t of MESSAGE_EVENTS) es.addEventListener(t, (e) => onMessageEvent(t, JSON.parse(e.data)));
  for (const t of STATE_EVENTS) es.addEventListener(t, () => { scheduleState(); if (t === "reset") loadMessages(); });
}

// ------------------------------------------------------------------ start

async function addPerson(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const first = form.elements.first_name.value.trim();
  const lang = form.elements.language_code.value.trim();
  if (!first) return;
  try {
    const user = await api("POST", "/control/users", { first_name: first, language_code: lang || undefined });
    form.reset();
    await loadState();
    selectPerson(user.id);
    const b = document.querySelector(`[data-person-id="${user.id}"]`);
    if (b) b.focus();
  } catch (err) { fail(err); }
}

function init() {
  $("compose").addEventListener("submit", onCompose);
  const box = $("compose-text");
  box.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("compose").requestSubmit(); }
  });
  box.addEventListener("input", autoSize);
  $("cmd-btn").addEventListener("click", toggleCommands);
  $("cmd-menu").addEventListener("keydown", onMenuKey);
  document.addEventListener("click", (ev) => {
    if (!$("cmd-menu").hidden && !ev.target.closest(".cmd-wrap")) closeCommands(false);
  });
  $("add-person").addEventListener("submit", addPerson);
  connectEvents();
  loadState().catch(fail);
}

document.addEventListener("DOMContentLoaded", init);
