// One bubble per message, as the customer's phone shows it. The bot's messages (outbound)
// are on the left with their delivery ticks; the customer's own on the right.

import { clock, firstUrl, formatted, h, link } from "./dom.js";

const MEDIA_ICONS = {
  image: "▣", video: "▶", audio: "♪", voice: "♪", document: "▤", sticker: "☺",
};

const TICKS = {
  accepted: ["◷", "accepted: no status yet (statuses are made when a webhook URL is set)"],
  sent: ["✓", "sent"],
  delivered: ["✓✓", "delivered"],
  read: ["✓✓", "read"],
};

/** The delivery ticks of an outbound message. */
export function ticks(message) {
  let [mark, label] = TICKS[message.status] ?? ["?", message.status];
  if (message.status === "failed") {
    const error = message.error ?? {};
    mark = "⚠";
    label = `failed: ${error.code ?? "?"} ${error.title ?? ""}`.trim();
  }
  return h("span", {
    className: `ticks ${message.status}`,
    dataset: { status: message.status },
    title: label,
    "aria-label": label,
  }, mark);
}

/** A few words for the conversation list. */
export function preview(message) {
  const c = message.content ?? {};
  if (!message.outbound) {
    if (message.kind === "text") return c.text?.body ?? "";
    if (message.kind === "interactive") {
      const reply = c.interactive?.button_reply ?? c.interactive?.list_reply ?? {};
      return reply.title ?? "(reply)";
    }
    if (message.kind === "button") return c.button?.text ?? "";
    return `[${message.kind}]`;
  }
  switch (message.kind) {
    case "text": return c.text ?? "";
    case "template": return message.template?.body ?? `[template ${c.template_id ?? ""}]`;
    case "buttons": case "list": case "flow": return c.body ?? "";
    default: return `[${message.kind}]`;
  }
}

function mediaCard(kind, { link: url, id, filename, caption, mime_type: mime }, local) {
  const icon = MEDIA_ICONS[kind] ?? "▤";
  const source = local && id ? `/_emulator/media/${encodeURIComponent(id)}` : url;
  const card = h("div", { className: `media-card ${kind}` },
    h("span", { className: "media-icon", "aria-hidden": "true" }, icon),
    h("div", { className: "media-text" },
      h("strong", {}, filename || kind),
      mime ? h("span", { className: "muted small" }, mime) : null,
      source ? link(source, local ? "open" : url) : null,
    ),
  );
  const parts = [card];
  if (local && id && (kind === "image" || kind === "sticker")) {
    parts.unshift(h("img", { className: "thumb", src: source, alt: caption || kind }));
  }
  if (caption) parts.push(h("p", { className: "text" }, formatted(caption)));
  return parts;
}

function locationCard({ latitude, longitude, name, address, url }) {
  return h("div", { className: "location-card" },
    h("span", { className: "media-icon", "aria-hidden": "true" }, "◉"),
    h("div", { className: "media-text" },
      name ? h("strong", {}, name) : null,
      address ? h("span", {}, address) : null,
      h("span", { className: "muted small mono" }, `${latitude}, ${longitude}`),
      url ? link(url) : null,
    ),
  );
}

function contactCards(cards) {
  return (cards ?? []).map((card) => h("div", { className: "contact-card" },
    h("span", { className: "media-icon", "aria-hidden": "true" }, "☺"),
    h("div", { className: "media-text" },
      h("strong", {}, card.name?.formatted_name ?? "Contact"),
      card.org?.company ? h("span", { className: "muted small" }, card.org.company) : null,
      ...(card.phones ?? []).map((p) => h("span", { className: "small" }, `☎ ${p.phone ?? p.wa_id ?? ""}`)),
      ...(card.emails ?? []).map((e) => h("span", { className: "small" }, `✉ ${e.email ?? ""}`)),
    ),
  ));
}

function interactiveHeader(header) {
  if (!header) return null;
  if (header.type === "text") return h("p", { className: "header" }, header.text ?? "");
  return mediaCard(header.type, header, false);
}

function footer(text) {
  return text ? h("p", { className: "footer muted small" }, text) : null;
}

function templateParts(view, message, actions) {
  if (view.missing) {
    return [
      h("p", { className: "muted small" }, `Template ${view.template_id} (not in the emulator)`),
      h("p", { className: "text" }, (view.parameters ?? []).join(" · ")),
    ];
  }
  const parts = [h("p", { className: "badge small" }, `template ${view.name ?? ""} · ${view.language ?? ""}`)];
  const header = view.header;
  if (header?.format === "text") parts.push(h("p", { className: "header" }, formatted(header.text)));
  else if (header?.format === "location") parts.push(locationCard(header));
  else if (header) parts.push(...mediaCard(header.format, header, false));
  if (view.body !== undefined) parts.push(h("p", { className: "text" }, formatted(view.body)));
  parts.push(footer(view.footer));
  const buttons = (view.buttons ?? []).map((button) => {
    if (button.type === "quick_reply") {
      return h("button", {
        type: "button", className: "choice", dataset: { payload: button.payload },
        onclick: () => actions.quickReply(message, button),
      }, button.text);
    }
    if (button.type === "url") return h("span", { className: "choice", title: button.url }, "↗ ", link(button.url, button.text));
    if (button.type === "phone_number") return h("span", { className: "choice", title: button.phone_number }, `☎ ${button.text}`);
    return h("span", { className: "choice", title: button.code ?? "" }, `▢ ${button.text}`);
  });
  if (buttons.length) parts.push(h("div", { className: "choices" }, buttons));
  return parts;
}

function outboundParts(message, actions) {
  const c = message.content ?? {};
  switch (message.kind) {
    case "text": {
      const parts = [h("p", { className: "text" }, formatted(c.text))];
      const url = c.preview_url ? firstUrl(c.text) : null;
      if (url) parts.unshift(h("div", { className: "link-preview", title: "link preview (not fetched)" }, h("span", { className: "muted small" }, "Link preview"), link(url)));
      return parts;
    }
    case "template":
      return templateParts(message.template ?? { missing: true, template_id: c.template_id }, message, actions);
    case "image": case "video": case "audio": case "document": case "sticker":
      return mediaCard(message.kind, c, false);
    case "location":
      return [locationCard(c)];
    case "contacts":
      return contactCards(c.contacts);
    case "buttons": {
      const buttons = (c.action?.buttons ?? []).map((button) => h("button", {
        type: "button", className: "choice", dataset: { buttonId: button.id },
        onclick: () => actions.replyButton(message, button),
      }, button.title));
      return [interactiveHeader(c.header), h("p", { className: "text" }, formatted(c.body)), footer(c.footer), h("div", { className: "choices" }, buttons)];
    }
    case "list":
      return [
        interactiveHeader(c.header), h("p", { className: "text" }, formatted(c.body)), footer(c.footer),
        h("div", { className: "choices" }, h("button", {
          type: "button", className: "choice list-open", onclick: () => actions.openList(message),
        }, `☰ ${c.action?.button ?? "Options"}`)),
      ];
    case "product":
      return [
        h("div", { className: "product-card" },
          h("span", { className: "media-icon", "aria-hidden": "true" }, "◫"),
          h("div", { className: "media-text" },
            h("strong", {}, c.action?.product_retailer_id ?? "product"),
            h("span", { className: "muted small" }, `catalog ${c.action?.catalog_id ?? ""}`))),
        c.body ? h("p", { className: "text" }, formatted(c.body)) : null, footer(c.footer),
      ];
    case "product_list": {
      const sections = (c.action?.sections ?? []).map((section) => h("li", {},
        section.title ? h("strong", {}, section.title) : null,
        h("ul", { className: "plain" }, (section.product_items ?? []).map((item) => h("li", { className: "small" }, `◫ ${item.product_retailer_id}`)))));
      return [
        h("p", { className: "header" }, c.header ?? ""), h("p", { className: "text" }, formatted(c.body)), footer(c.footer),
        h("details", { className: "product-list" }, h("summary", {}, `View items · catalog ${c.action?.catalog_id ?? ""}`), h("ul", { className: "plain" }, sections)),
      ];
    }
    case "flow": {
      const p = c.action?.parameters ?? {};
      return [
        interactiveHeader(c.header), h("p", { className: "text" }, formatted(c.body)), footer(c.footer),
        h("div", { className: "choices" }, h("button", {
          type: "button", className: "choice", disabled: true, title: `flow ${p.flow_id ?? ""} (${p.flow_action ?? ""}): flows run on a real phone`,
        }, `▤ ${p.flow_cta ?? "Open"}`)),
      ];
    }
    default:
      return [h("pre", { className: "small mono" }, JSON.stringify(c, null, 1))];
  }
}

function inboundParts(message) {
  const c = message.content ?? {};
  const kind = message.kind;
  switch (kind) {
    case "text": return [h("p", { className: "text" }, formatted(c.text?.body))];
    case "image": case "video": case "audio": case "voice": case "document": case "sticker":
      return mediaCard(kind, c[kind] ?? {}, true);
    case "location": return [locationCard(c.location ?? {})];
    case "contacts": return contactCards(c.contacts);
    case "interactive": {
      const reply = c.interactive?.button_reply ?? c.interactive?.list_reply ?? {};
      const label = c.interactive?.type === "list_reply" ? "list row" : "button";
      return [h("p", { className: "text" }, reply.title ?? ""), h("p", { className: "muted small" }, `${label} ${reply.id ?? ""}`)];
    }
    case "button": return [h("p", { className: "text" }, c.button?.text ?? ""), h("p", { className: "muted small" }, `quick reply ${c.button?.payload ?? ""}`)];
    default: return [h("p", { className: "muted" }, `[${kind}]`)];
  }
}

function quote(message, lookup) {
  const id = message.content?.context?.id;
  if (!id) return null;
  const quoted = lookup(id);
  return h("blockquote", { className: "quote small", dataset: { contextId: id } },
    quoted ? preview(quoted) : `a message (${id})`);
}

/** The ``<li>`` of one message. */
export function bubble(message, actions, lookup) {
  const side = message.outbound ? "bot" : "customer";
  const body = message.outbound ? outboundParts(message, actions) : inboundParts(message);
  const meta = h("div", { className: "meta small" },
    h("button", { type: "button", className: "reply-to", "aria-label": "Reply", title: "Reply to this message", onclick: () => actions.replyTo(message) }, "↩"),
    h("time", { datetime: new Date(message.at * 1000).toISOString() }, clock(message.at)),
    message.outbound ? ticks(message) : null,
  );
  return h("li", {
    className: `bubble ${side} kind-${message.kind}`,
    dataset: { messageId: message.id, kind: message.kind, status: message.status },
  }, quote(message, lookup), body, meta);
}

/** The rows of a list message, for its menu. */
export function listRows(message, pick) {
  return (message.content?.action?.sections ?? []).map((section) => h("section", { className: "list-section" },
    section.title ? h("h4", {}, section.title) : null,
    (section.rows ?? []).map((row) => h("button", {
      type: "button", className: "list-row", dataset: { rowId: row.id }, onclick: () => pick(row),
    }, h("span", {}, row.title), row.description ? h("span", { className: "muted small" }, row.description) : null)),
  ));
}
