// The emulator panel: faults, numbers, webhook and its deliveries, pending notifications,
// the clock, and the request log. Refreshed when the live events say something changed.

import { call } from "./api.js";
import { clock, fill, h } from "./dom.js";

const $ = (id) => document.getElementById(id);

function describeFault(fault) {
  let what = `answer ${fault.status}`;
  if (fault.drop) what = fault.delay ? `time out (${fault.delay} s, no answer)` : "drop the connection";
  return `${fault.target}: next ${fault.times} × ${what}`;
}

function render(state, requests, report) {
  fill($("fault-list"), state.faults.map((fault) => h("li", { dataset: { target: fault.target } }, describeFault(fault))));
  const targets = Object.entries(state.fault_targets);
  if ($("fault-targets").children.length === 0) {
    fill($("fault-targets"), targets.map(([label, target]) => h("option", { value: target }, label)));
    if (!$("fault-target").value) $("fault-target").value = targets[0][1];
  }
  if (document.activeElement !== $("latency")) $("latency").value = state.latency;

  const numbers = [
    ...state.invalid_numbers.map((n) => h("li", {}, `${n}: invalid `,
      h("button", { type: "button", className: "link-button", onclick: () => report(call("DELETE", `numbers/${n}/invalid`)) }, "remove"))),
    ...Object.entries(state.failing_numbers).map(([n, error]) => h("li", {}, `${n}: fails ${error.code} ${error.title} `,
      h("button", { type: "button", className: "link-button", onclick: () => report(call("DELETE", `numbers/${n}/failing`)) }, "remove"))),
  ];
  fill($("number-list"), numbers);

  const url = state.webhook.url;
  fill($("webhook-url"), url ? url + (state.webhook.username ? ` (as ${state.webhook.username})` : "") : "none (statuses are not made; customer messages are held)");
  $("delivery-count").textContent = state.delivery_count;
  fill($("delivery-list"), state.deliveries.map((d) => h("li", { className: d.accepted ? "ok" : "bad" },
    h("span", { className: "mono" }, d.status ?? "✗"), " ", d.what, " ", h("span", { className: "muted mono" }, d.id ?? ""),
    d.error ? h("div", { className: "muted" }, d.error) : null)));

  $("pending-count").textContent = state.pending_count;
  fill($("pending-list"), state.pending.map((p) => h("li", {}, p.what, " ", h("span", { className: "muted mono" }, p.id ?? ""))));

  $("clock-now").textContent = clock(state.now, { withSeconds: true, withDate: true });
  $("enforce-window").checked = state.enforce_window;
  $("held-count").textContent = state.statuses_on_hold;

  fill($("request-list"), requests.requests.map((r) => h("li", { className: r.status && r.status < 400 ? "ok" : "bad" },
    h("details", {},
      h("summary", {}, h("span", { className: "mono" }, `${r.status ?? "no answer"} `), `${r.method} ${r.path}${r.query ? "?" + r.query : ""}`,
        h("span", { className: "muted" }, ` · ${r.ms} ms · ${clock(r.at, { withSeconds: true })}`)),
      h("pre", { className: "mono" }, r.body || "(no body)")))));
}

/** Wire the panel's controls; returns ``refresh()``. ``report(promise)`` shows failures. */
export function setUpPanel(report) {
  let timer = null;
  async function refresh() {
    timer = null;
    const [state, requests] = await Promise.all([call("GET", "state"), call("GET", "requests?limit=50")]);
    render(state, requests, report);
  }
  const change = (promise) => report(promise.then(() => schedule()));
  function schedule() {
    if (timer === null) timer = setTimeout(() => report(refresh()), 100);
  }

  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const kind = $("fault-kind").value;
    const fault = { target: $("fault-target").value, times: Number($("fault-times").value) || 1 };
    if (kind === "timeout") fault.timeout = 60;
    else if (kind === "drop") fault.drop = true;
    else fault.status = Number(kind);
    if (kind === "429") fault.retry_after = 1;
    change(call("POST", "faults", fault));
  });
  $("faults-clear").addEventListener("click", () => change(call("DELETE", "faults")));
  $("latency-form").addEventListener("submit", (event) => {
    event.preventDefault();
    change(call("POST", "settings", { latency: Number($("latency").value) || 0 }));
  });
  $("mark-invalid").addEventListener("click", () => change(call("POST", `numbers/${$("number-target").value.trim()}/invalid`)));
  $("mark-failing").addEventListener("click", () => {
    const title = $("failing-title").value.trim();
    change(call("POST", `numbers/${$("number-target").value.trim()}/failing`, {
      code: Number($("failing-code").value) || 470, title: title || null,
    }));
  });
  $("webhook-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const username = $("webhook-username").value.trim();
    change(call("POST", "webhook", {
      url: $("webhook-input").value.trim() || null,
      username: username || null,
      password: username ? $("webhook-password").value : null,
    }));
  });
  for (const button of document.querySelectorAll("[data-advance-hours]")) {
    button.addEventListener("click", () => change(call("POST", "clock", { hours: Number(button.dataset.advanceHours) })));
  }
  $("enforce-window").addEventListener("change", (event) => change(call("POST", "settings", { enforce_window: event.target.checked })));
  $("hold-statuses").addEventListener("click", () => change(call("POST", "statuses", { hold: true })));
  $("release-statuses").addEventListener("click", () => change(call("POST", "statuses", { hold: false })));
  $("reset").addEventListener("click", () => change(call("POST", "reset")));
  return { refresh, schedule };
}
