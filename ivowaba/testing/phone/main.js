// The web phone: the conversation list, one conversation, the composer (writing as the
// customer), all kept live by the emulator's events. Lists are fetched a page at a time.

import { base64Of, call, inbound, listen } from "./api.js";
import { bubble, listRows, preview, ticks } from "./bubbles.js";
import { clock, fill, h } from "./dom.js";
import { setUpPanel } from "./panel.js";

const PAGE = 50;
const $ = (id) => document.getElementById(id);

const app = {
  chats: new Map(),       // wa_id → summary, for the chats loaded in the list
  chatTotal: 0,
  open: null,             // the open conversation's wa_id
  openName: null,
  earlier: null,          // where the open conversation's previous page ends
  messages: new Map(),    // id → message, of the open conversation
  replyTo: null,          // the message the composer replies to
  ready: false,
  backlog: [],            // events that came before the first paint
  queue: [],              // events waiting for the next frame
};

function report(promise) {
  return Promise.resolve(promise).then(
    () => { $("composer-error").hidden = true; },
    (error) => {
      $("composer-error").textContent = error.message;
      $("composer-error").hidden = false;
    },
  );
}

// -- the conversation list ------------------------------------------------------------

function chatItem(chat) {
  const last = chat.last;
  return h("li", { dataset: { waId: chat.wa_id } },
    h("button", { type: "button", className: "chat" + (chat.wa_id === app.open ? " open" : ""), onclick: () => openChat(chat.wa_id) },
      h("span", { className: "avatar", "aria-hidden": "true" }, (chat.name || "#").slice(0, 1).toUpperCase()),
      h("span", { className: "chat-text" },
        h("span", { className: "chat-name" }, chat.name ? `${chat.name} · ${chat.wa_id}` : chat.wa_id),
        h("span", { className: "chat-preview muted small" },
          last?.outbound ? ticks(last) : null, last ? " " + preview(last).slice(0, 80) : "")),
      h("span", { className: "chat-side small" },
        last ? h("time", {}, clock(last.at)) : null,
        chat.unread ? h("span", { className: "unread", "aria-label": `${chat.unread} unread` }, String(chat.unread)) : null)));
}

function countLine() {
  $("chat-count").textContent = `${app.chatTotal} conversation${app.chatTotal === 1 ? "" : "s"}`;
  $("more-chats").hidden = app.chats.size >= app.chatTotal;
}

async function loadChats(more = false) {
  const offset = more ? app.chats.size : 0;
  const page = await call("GET", `chats?offset=${offset}&limit=${PAGE}`);
  if (!more) {
    app.chats.clear();
    $("chat-list").replaceChildren();
  }
  app.chatTotal = page.total;
  const items = [];
  for (const chat of page.chats) {
    if (app.chats.has(chat.wa_id)) continue;
    app.chats.set(chat.wa_id, chat);
    items.push(chatItem(chat));
  }
  $("chat-list").append(...items);
  countLine();
}

/** A conversation's summary changed: its row, moved to the top when ``toTop``. */
function updateChat(chat, toTop) {
  const list = $("chat-list");
  const old = list.querySelector(`li[data-wa-id="${CSS.escape(chat.wa_id)}"]`);
  if (!app.chats.has(chat.wa_id) && chat.count === 1) app.chatTotal += 1; // a new conversation
  app.chats.set(chat.wa_id, chat);
  const item = chatItem(chat);
  if (old && !toTop) old.replaceWith(item);
  else {
    old?.remove();
    list.prepend(item);
  }
  countLine();
}

// -- one conversation -----------------------------------------------------------------

const actions = {
  replyButton: (message, button) => send("button-reply", { id: button.id, title: button.title, context: message.id }),
  quickReply: (message, button) => send("quick-reply", { payload: button.payload, text: button.text, context: message.id }),
  openList: (message) => {
    $("list-title").textContent = message.content?.action?.button ?? "Options";
    fill($("list-sections"), listRows(message, (row) => {
      $("list-dialog").close();
      send("list-reply", { id: row.id, title: row.title, description: row.description ?? null, context: message.id });
    }));
    $("list-dialog").showModal();
  },
  replyTo: (message) => {
    app.replyTo = message;
    $("reply-preview").textContent = preview(message).slice(0, 120) || `[${message.kind}]`;
    $("reply-bar").hidden = false;
    $("message").focus();
  },
};

const lookup = (id) => app.messages.get(id);

function bubbleOf(message) {
  app.messages.set(message.id, message);
  return bubble(message, actions, lookup);
}

function rendered() {
  document.dispatchEvent(new CustomEvent("phone:rendered", { detail: { waId: app.open } }));
}

async function openChat(waId) {
  app.open = waId;
  app.messages.clear();
  cancelReply();
  const page = await call("GET", `chats/${waId}?limit=${PAGE}`);
  if (app.open !== waId) return;
  app.openName = page.chat?.name ?? null;
  app.earlier = page.earlier;
  $("chat-title").textContent = page.chat?.name || waId;
  $("chat-subtitle").textContent = page.chat?.name ? waId : (page.chat ? "" : "No messages yet: write as this customer");
  $("bubbles").dataset.waId = waId;
  fill($("bubbles"), page.messages.map(bubbleOf));
  $("earlier").hidden = page.earlier === null;
  for (const input of [$("message"), $("send")]) input.disabled = false;
  for (const row of document.querySelectorAll("#chat-list .chat")) {
    row.classList.toggle("open", row.closest("li").dataset.waId === waId);
  }
  scrollToEnd();
  rendered();
  if (page.chat?.unread) markSeen();
}

async function loadEarlier() {
  if (app.open === null || app.earlier === null) return;
  const box = $("messages");
  const height = box.scrollHeight;
  const page = await call("GET", `chats/${app.open}?before=${app.earlier}&limit=${PAGE}`);
  app.earlier = page.earlier;
  $("bubbles").prepend(...page.messages.filter((m) => !app.messages.has(m.id)).map(bubbleOf));
  $("earlier").hidden = page.earlier === null;
  box.scrollTop = box.scrollHeight - height;
}

function scrollToEnd() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

let seenTimer = null;
function markSeen() {
  if (seenTimer !== null) return;
  seenTimer = setTimeout(() => {
    seenTimer = null;
    if (app.open === null) return;
    report(call("POST", `chats/${app.open}/seen`).then(({ chat }) => chat && updateChat(chat, false)));
  }, 50);
}

// -- writing as the customer ----------------------------------------------------------

function cancelReply() {
  app.replyTo = null;
  $("reply-bar").hidden = true;
}

function send(kind, fields) {
  if (app.open === null) return Promise.resolve();
  const body = { from: app.open, name: app.openName, ...fields };
  return report(inbound(kind, body));
}

function sendText(event) {
  event.preventDefault();
  const text = $("message").value;
  if (!text.trim() || app.open === null) return;
  const context = app.replyTo?.id ?? null;
  send("text", { text, context }).then(() => {
    if ($("composer-error").hidden) {
      $("message").value = "";
      cancelReply();
    }
  });
}

async function sendFile(kind, input) {
  const file = input.files?.[0];
  input.value = "";
  if (!file || app.open === null) return;
  const content = await base64Of(file);
  await send(kind, {
    content_base64: content, content_type: file.type || null,
    filename: file.name, caption: $("message").value.trim() || null,
  });
  $("message").value = "";
}

function shareLocation(event) {
  event.preventDefault();
  $("location-dialog").close();
  send("location", {
    latitude: Number($("location-latitude").value),
    longitude: Number($("location-longitude").value),
    place_name: $("location-name").value.trim() || null,
    address: $("location-address").value.trim() || null,
  });
}

// -- live events ----------------------------------------------------------------------

function apply(event) {
  switch (event.type) {
    case "message": {
      const message = event.message;
      if (message.wa_id === app.open && !app.messages.has(message.id)) {
        const box = $("messages");
        const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
        $("bubbles").append(bubbleOf(message));
        if (atEnd || !message.outbound) scrollToEnd();
        if (message.outbound) markSeen();
      }
      updateChat(event.chat, true);
      break;
    }
    case "status": {
      const message = app.messages.get(event.id);
      if (message) {
        Object.assign(message, { status: event.status, error: event.error });
        const item = $("bubbles").querySelector(`li[data-message-id="${CSS.escape(event.id)}"]`);
        if (item) {
          item.dataset.status = event.status;
          item.querySelector(".ticks")?.replaceWith(ticks(message));
        }
      }
      const chat = app.chats.get(event.wa_id);
      if (chat?.last?.id === event.id) {
        chat.last = { ...chat.last, status: event.status, error: event.error };
        updateChat(chat, false);
      }
      break;
    }
    case "panel":
      panel.schedule();
      break;
    default: // reset, resync: everything again
      reload();
  }
}

function onEvent(event) {
  if (!app.ready) {
    app.backlog.push(event);
    return;
  }
  app.queue.push(event);
  if (app.queue.length === 1) requestAnimationFrame(flush);
}

function flush() {
  const events = app.queue;
  app.queue = [];
  for (const event of events) apply(event);
}

async function reload() {
  await loadChats();
  if (app.open !== null) await openChat(app.open);
  panel.schedule();
}

function onLink(up) {
  $("live").textContent = up ? "live" : "reconnecting";
  $("live").title = up ? "live updates: connected" : "live updates: reconnecting";
  $("live").classList.toggle("down", !up);
}

// -- start ----------------------------------------------------------------------------

const panel = setUpPanel(report);

function wire() {
  $("new-chat").addEventListener("submit", (event) => {
    event.preventDefault();
    const number = $("new-number").value.replace(/[^0-9]/g, "");
    if (number) openChat(number);
  });
  $("more-chats").addEventListener("click", () => report(loadChats(true)));
  $("earlier").addEventListener("click", () => report(loadEarlier()));
  $("composer").addEventListener("submit", sendText);
  $("reply-cancel").addEventListener("click", cancelReply);
  $("attach-image").addEventListener("change", (e) => report(sendFile("image", e.target)));
  $("attach-document").addEventListener("change", (e) => report(sendFile("document", e.target)));
  $("attach-location").addEventListener("click", () => app.open !== null && $("location-dialog").showModal());
  $("location-form").addEventListener("submit", shareLocation);
  $("location-cancel").addEventListener("click", () => $("location-dialog").close());
  $("list-close").addEventListener("click", () => $("list-dialog").close());
}

async function start() {
  // A page token (an emulator listening beyond this machine) now lives in a cookie: keep it
  // out of the address bar, bookmarks and screenshots.
  if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", "/");
  wire();
  listen(onEvent, onLink);
  await loadChats();
  app.ready = true;
  performance.mark("phone:listed");
  requestAnimationFrame(() => setTimeout(() => performance.mark("phone:list-painted"), 0));
  for (const event of app.backlog.splice(0)) onEvent(event);
  await panel.refresh();
  document.body.dataset.ready = "true";
}

report(start());
