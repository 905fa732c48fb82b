/* Feedback widget: the survey card a host page embeds with one async <script> (docs/widget.md).
 * No dependencies and no global but `feedback`; a Shadow DOM, styles a strict CSP does not block,
 * nothing thrown into the page, whatever built-ins it patched (docs: Host pages).
 * The follow-up rules mirror feedback/surveys/followups.py (followups_for) exactly. */
(function (w, d) {
  "use strict";
  var stub = w.feedback;
  if (stub && stub.loaded) return; // the script was included twice

  // Built-ins as they are now, before any later patching.
  var O = Object, hasOwn = O.prototype.hasOwnProperty, isArray = Array.isArray;
  var parse = JSON.parse, iso = Date.prototype.toISOString, fetch = w.fetch, con = w.console;
  var PENDING = "feedback:pending";
  var ANON = "feedback:anon";
  var MAX_WAIT = 300000; // longest back-off between retries, in ms
  var MAX_TRIES = 50; // then a write that keeps failing stops blocking the ones after it
  var me = d.currentScript;
  var cfg = null; // {key, host, debug, context}
  var who = null; // {id, email, traits, user_hash} from identify
  var open = null; // the floating card on screen
  var said = map(); // what the console was told, once each
  var checkTimer = 0;
  var flushing = false;
  var flushTimer = 0;
  // Refusals a developer must fix, by code: the fix where the server's message lacks it.
  var FIX = {
    origin_not_allowed: "",
    unknown_key: "check the key in the snippet (Settings shows it). ",
    identity_unverified: "",
    identity_invalid: "",
    not_found: "check the survey id given to show(). ",
  };

  function noop() {}

  function map() {
    return O.create(null);
  }

  function has(o, k) {
    return o != null && hasOwn.call(o, k);
  }

  // Own properties only: a polluted Object.prototype.x never stands in for a missing x.
  function get(o, k) {
    return has(o, k) ? o[k] : undefined;
  }

  function say(kind, args) {
    try {
      con[kind].apply(con, ["[feedback]"].concat([].slice.call(args)));
    } catch (e) {
      /* a host that broke its console gets no logs */
    }
  }

  function log() {
    if (cfg && cfg.debug) say("info", arguments);
  }

  // Once per page, debug or not: what the site's developer must fix.
  function warnOnce(what) {
    if (said[what]) return;
    said[what] = 1;
    say("warn", [].slice.call(arguments, 1));
  }

  // A refused eligibility question (a write it refuses was refused this first).
  function refused(error) {
    var code = String(get(error, "code")), fix = get(FIX, code), message = get(error, "message");
    if (fix != null) warnOnce(code, "refused: " + code + ": " + fix + (message || ""));
    else log("refused:", code, message);
  }

  function oops(e) {
    warnOnce("error", "caught an error:", e);
  }

  // Every callback the host page could see fail goes through here.
  function guard(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        oops(e);
      }
    };
  }

  /* ---- JSON of the widget's own data: no host toJSON or JSON.stringify ---- */

  var ESC = /[\u0000-\u001f"\\\u2028\u2029]/g;

  function esc(ch) {
    return "\\u" + (ch.charCodeAt(0) + 65536).toString(16).slice(1);
  }

  function json(v, depth) {
    var out = [], t = typeof v, k;
    depth = depth || 0;
    if (t == "string") return '"' + v.replace(ESC, esc) + '"';
    if (t == "number") return isFinite(v) ? "" + v : "null";
    if (t == "boolean") return "" + v;
    if (!v || t != "object" || depth > 20) return "null";
    if (v instanceof Date) return isFinite(v) ? json(iso.call(v)) : "null";
    if (isArray(v)) {
      for (k = 0; k < v.length; k++) out.push(json(v[k], depth + 1));
      return "[" + out.join(",") + "]";
    }
    for (k in v) {
      t = has(v, k) && typeof v[k];
      if (t && t != "undefined" && t != "function" && t != "symbol") out.push(json(k) + ":" + json(v[k], depth + 1));
    }
    return "{" + out.join(",") + "}";
  }

  function load(key) {
    try {
      return parse(w.localStorage.getItem(key));
    } catch (e) {
      return null;
    }
  }

  function save(key, value) {
    try {
      w.localStorage.setItem(key, json(value));
    } catch (e) {
      /* storage full or disabled: sends are still tried once */
    }
  }

  function isWrite(i) {
    return i && typeof i.k == "string" && typeof i.u == "string" && /^P(OS|U)T$/.test(i.m) && i.t >= 0 && i.b && typeof i.b == "object";
  }

  // The pending writes; anything else found under the key is dropped, not trusted.
  function pending() {
    var q = load(PENDING);
    return isArray(q) ? q.filter(isWrite) : [];
  }

  function uid() {
    var c = w.crypto, a = new Uint8Array(16), s = "", i;
    if (c.randomUUID) return c.randomUUID();
    c.getRandomValues(a);
    for (i = 0; i < 16; i++) s += (a[i] + 256).toString(16).slice(1);
    return s;
  }

  function anonId() {
    var id = load(ANON);
    if (typeof id != "string" || !/^anon-[\w-]{1,64}$/.test(id)) save(ANON, (id = "anon-" + uid()));
    return id;
  }

  /* ---- follow-up rules (feedback/surveys/followups.py) ---- */

  function answerMatches(expected, given) {
    if (isArray(given)) {
      return given.some(function (item) {
        return expected.indexOf(item) >= 0;
      });
    }
    return expected.indexOf(given) >= 0;
  }

  function applies(f, score, answers, shown) {
    var when = get(f, "when"), range = get(when, "score"), on = get(when, "answer");
    if (range != null && !(range[0] <= score && score <= range[1])) return false;
    if (on != null) {
      var earlier = get(on, "followup");
      if (!has(shown, earlier) || !has(answers, earlier)) return false;
      if (!answerMatches(get(on, "in") || [], answers[earlier])) return false;
    }
    return true;
  }

  /** The follow-ups that apply to this score and these earlier answers, in order. */
  function followupsFor(definition, score, answers) {
    var shown = map(), result = [];
    (get(definition, "followups") || []).forEach(function (f) {
      if (applies(f, score, answers || {}, shown)) {
        shown[f.id] = true;
        result.push(f);
      }
    });
    return result;
  }

  /* ---- network: reads are tried once, writes wait in localStorage until they land ---- */

  function api(path) {
    return cfg.host + "/api/public/" + encodeURIComponent(cfg.key) + path;
  }

  // Always a promise, whatever a host's fetch wrapper does.
  function request(method, url, body) {
    try {
      return Promise.resolve(
        fetch.call(w, url, merge({
          method: method,
          headers: { "Content-Type": "application/json" },
          body: json(body || {}),
          credentials: "omit",
          keepalive: true,
        }))
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  function enqueue(method, path, body) {
    var url = api(path), queue = pending(), item, i;
    item = { k: uid(), m: method, u: url, b: body, t: 0 };
    // Each write carries the whole state, so a newer one for the same URL replaces the older.
    for (i = 0; i < queue.length; i++) {
      if (queue[i].u == url && queue[i].m == method) break;
    }
    queue[i] = item;
    save(PENDING, queue.slice(-50));
    flush(item);
  }

  function settle(item, failed) {
    var queue = pending(), wait;
    for (var i = 0; i < queue.length; i++) {
      if (queue[i].k != item.k) continue;
      if (!failed) queue.splice(i, 1);
      else queue[i].t++;
      break;
    }
    save(PENDING, queue);
    flushing = false;
    if (!failed) return flush();
    wait = Math.min(MAX_WAIT, 1000 * Math.pow(2, item.t));
    clearTimeout(flushTimer);
    flushTimer = setTimeout(guard(flush), wait);
  }

  // Sends the oldest pending write, then the next; in order, so a dismissal follows its display.
  // `item` is the write just queued: kept for a single try when storage is unavailable.
  function flush(item) {
    if (flushing) return;
    var head = pending()[0] || item;
    if (!head || !fetch) return;
    flushing = true;
    request(head.m, head.u, head.b)
      .then(function (r) {
        if ((r.status >= 500 || r.status == 429) && head.t < MAX_TRIES) return settle(head, true);
        if (!r.ok) {
          r.json()
            .then(function (j) {
              log("dropped", head.m, head.u, r.status, get(j, "error"));
            })
            .catch(noop);
        }
        settle(head, false);
      })
      .catch(function () {
        settle(head, true);
      })
      .catch(noop);
  }

  /* ---- who shows a survey: the server decides ---- */

  function person(body) {
    body.respondent = who;
    if (!who || !who.id) body.anonymous_id = anonId();
    return body;
  }

  function ask(event, survey, options) {
    if (!cfg || !fetch) return;
    var body = person({ url: w.location.href, event: event, survey: survey, debug: !!cfg.debug });
    request("POST", api("/eligibility"), body)
      .then(function (r) {
        return r.json();
      })
      .then(
        guard(function (j) {
          var error = get(j, "error");
          if (error) return refused(error);
          if (get(j, "show") !== true) {
            return (get(j, "reasons") || []).forEach(function (r) {
              log("not shown:", get(r, "survey"), "-", get(r, "reason"));
            });
          }
          setTimeout(guard(function () {
            whenVisible(function () {
              render(get(j, "survey"), options || {}, event);
            });
          }), 1000 * (get(j, "delay_seconds") || 0));
        })
      )
      .catch(function (e) {
        log("eligibility failed", e);
      });
  }

  // The automatic check after init and identify, once for several calls in a row.
  function check() {
    if (!cfg || !cfg.auto) return;
    clearTimeout(checkTimer);
    checkTimer = setTimeout(guard(function () {
      if (!shown()) ask(null, null, {});
    }), 30);
  }

  // The floating card, unless a page that swapped its body (Turbo) took it: no dismissal.
  function shown() {
    return open && open.host.isConnected;
  }

  // A card waits for the page's body and for the tab to be in view.
  function whenVisible(fn) {
    if (d.body && !d.hidden) return fn();
    var on = guard(function () {
      if (!d.body || d.hidden) return;
      d.removeEventListener("visibilitychange", on);
      d.removeEventListener("DOMContentLoaded", on);
      fn();
    });
    d.addEventListener("visibilitychange", on);
    d.addEventListener("DOMContentLoaded", on);
  }

  /* ---- the card ---- */

  var CSS =
    ":host{all:initial!important;display:block!important}" +
    ":host::before,:host::after,:host::backdrop{display:none!important;content:none!important}" +
    ":host(.float){position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483647!important}" +
    ".card{--fb-accent:#4f46e5;--fb-on:#fff;--fb-bg:#fff;--fb-fg:#111827;--fb-muted:#6b7280;--fb-line:#e5e7eb;--fb-soft:#f9fafb;" +
    "box-sizing:border-box;position:relative;width:420px;max-width:calc(100vw - 24px);padding:18px 18px 16px;" +
    "background:var(--fb-bg);color:var(--fb-fg);border:1px solid var(--fb-line);border-radius:12px;" +
    "font:400 14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;text-align:start;" +
    "container-type:inline-size;-webkit-font-smoothing:antialiased}" +
    ".card.float{box-shadow:0 12px 32px rgba(17,24,39,.16),0 2px 6px rgba(17,24,39,.08);animation:in .22s ease-out}" +
    ".card.inline{width:100%;max-width:520px}" +
    ".dark{--fb-bg:#1f2937;--fb-fg:#f9fafb;--fb-muted:#9ca3af;--fb-line:#374151;--fb-soft:#273244}" +
    "@media (prefers-color-scheme:dark){.auto{--fb-bg:#1f2937;--fb-fg:#f9fafb;--fb-muted:#9ca3af;--fb-line:#374151;--fb-soft:#273244}}" +
    "@keyframes in{from{opacity:0;transform:translateY(12px)}}" +
    "*{box-sizing:border-box;font:inherit;color:inherit;margin:0}" +
    "button,textarea,input{-webkit-tap-highlight-color:transparent}" +
    ".q,.p{display:block;font-weight:600;font-size:15px;line-height:1.35;padding:0;padding-inline-end:28px;margin:0 0 12px}" +
    ".x{position:absolute;top:8px;inset-inline-end:8px;width:32px;height:32px;border:0;border-radius:8px;background:none;cursor:pointer;" +
    "color:var(--fb-muted);font-size:20px;line-height:32px;text-align:center;padding:0}" +
    ".x:hover{background:var(--fb-soft);color:var(--fb-fg)}" +
    ".scale{display:grid;grid-template-columns:repeat(var(--n),minmax(0,1fr));gap:4px}" +
    ".pt{min-height:36px;min-width:0;padding:0;border:1px solid var(--fb-line);border-radius:7px;background:var(--fb-soft);" +
    "cursor:pointer;font-size:14px;font-weight:500;transition:background .12s,border-color .12s,transform .12s}" +
    ".pt:hover{border-color:var(--fb-accent);background:color-mix(in srgb,var(--fb-accent) 10%,var(--fb-bg))}" +
    ".pt[aria-checked=true]{background:var(--fb-accent);border-color:var(--fb-accent);color:var(--fb-on)}" +
    ".numbers{gap:3px}" +
    "@container (max-width:360px){.numbers.n11{grid-template-columns:repeat(6,minmax(0,1fr))}}" +
    ".emoji,.stars,.thumbs{display:flex;justify-content:center;gap:6px}" +
    ".emoji .pt,.stars .pt,.thumbs .pt{width:48px;min-height:48px;font-size:28px;line-height:1;border-color:transparent;background:none}" +
    ".emoji .pt:hover,.emoji .pt:focus-visible{transform:scale(1.15)}" +
    ".emoji .pt[aria-checked=true],.thumbs .pt[aria-checked=true]{background:color-mix(in srgb,var(--fb-accent) 16%,var(--fb-bg));border-color:var(--fb-accent)}" +
    ".stars .pt{color:#d1d5db;font-size:32px}" +
    ".stars:hover .pt,.stars:focus-within .pt,.stars .pt.lit{color:#f59e0b}" +
    ".stars .pt:hover~.pt,.stars .pt:focus~.pt{color:#d1d5db}" +
    ".stars .pt[aria-checked=true]{background:none;border-color:transparent;color:#f59e0b}" +
    ".thumbs .pt{width:64px;border:1px solid var(--fb-line);border-radius:10px;background:var(--fb-soft)}" +
    ".ends{display:flex;justify-content:space-between;gap:12px;margin-top:8px;font-size:12px;color:var(--fb-muted)}" +
    ".fit{width:max-content;max-width:100%;margin:0 auto}" +
    "textarea{display:block;width:100%;min-height:84px;resize:vertical;padding:8px 10px;border:1px solid var(--fb-line);" +
    "border-radius:8px;background:var(--fb-bg);font-size:14px;line-height:1.4}" +
    "textarea:focus-visible{outline:none;border-color:var(--fb-accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--fb-accent) 25%,transparent)}" +
    "textarea::placeholder{color:var(--fb-muted)}" +
    ".cnt{margin-top:4px;font-size:12px;color:var(--fb-muted);text-align:end}" +
    "fieldset{border:0;padding:0;min-width:0}" +
    "legend{padding:0}" +
    ".opt{display:flex;align-items:center;gap:10px;min-height:36px;padding:6px 10px;margin-bottom:4px;border:1px solid var(--fb-line);" +
    "border-radius:8px;cursor:pointer}" +
    ".opt:hover{border-color:var(--fb-accent)}" +
    ".opt input{width:16px;height:16px;margin:0;accent-color:var(--fb-accent);flex:none}" +
    ".acts{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}" +
    ".b{min-height:36px;min-width:72px;padding:0 16px;border-radius:8px;border:1px solid transparent;cursor:pointer;font-weight:600}" +
    ".send{background:var(--fb-accent);color:var(--fb-on)}" +
    ".send:hover{filter:brightness(1.08)}" +
    ".skip{background:none;color:var(--fb-muted)}" +
    ".skip:hover{color:var(--fb-fg);background:var(--fb-soft)}" +
    ".live:empty{display:none}" +
    ".live{padding:10px 0 6px;padding-inline-end:28px;font-weight:600;font-size:15px}" +
    ".live:before{content:'\\2713';display:inline-block;width:24px;height:24px;margin-inline-end:10px;border-radius:50%;" +
    "background:var(--fb-accent);color:var(--fb-on);text-align:center;line-height:24px;font-size:14px}" +
    ":focus{outline:none}" +
    ":focus-visible{outline:2px solid var(--fb-accent);outline-offset:2px}" +
    ".opt input:focus-visible{outline-offset:1px}.live:focus-visible{outline:none}" +
    "@media (max-width:480px){:host(.float){left:0!important;right:0!important;bottom:0!important}" +
    ".card.float{width:100%;max-width:none;border-radius:14px 14px 0 0;border-bottom:0;padding-bottom:20px}}" +
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}" +
    ".emoji .pt:hover,.emoji .pt:focus-visible{transform:none}}";

  var sheet = null;

  function style(root) {
    try {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      // Older browsers: a <style> element (blocked by a CSP without 'unsafe-inline').
      root.appendChild(el("style", null, CSS));
    }
  }

  function el(tag, cls, text, attrs) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    attrs = attrs || {};
    for (var k in attrs) if (has(attrs, k)) e.setAttribute(k, attrs[k]);
    return e;
  }

  function onAccent(hex) {
    var n = parseInt(hex.slice(1), 16);
    var l = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
    return l > 165 ? "#111827" : "#fff";
  }

  // Faces from the first emoji block (Unicode 6), which every emoji font has: 😠 😞 😐 😊 😍
  var FACES = ["\uD83D\uDE20", "\uD83D\uDE1E", "\uD83D\uDE10", "\uD83D\uDE0A", "\uD83D\uDE0D"];

  function face(style, n, min) {
    if (style == "emoji") return FACES[n - min] || n;
    if (style == "stars") return "\u2605";
    if (style == "thumbs") return n == min ? "\uD83D\uDC4E" : "\uD83D\uDC4D";
    return String(n);
  }


  function render(survey, options, event) {
    var target = get(options, "target"), container = null;
    if (target) {
      container = typeof target == "string" ? d.querySelector(target) : target;
      if (!container) return log("no element matches", target);
    } else if (shown()) {
      return log("a survey is already open; not showing", survey.id);
    }
    var host = el("feedback-widget", container ? "inline" : "float");
    var root = host.attachShadow(merge({ mode: "open" }));
    var brand = get(survey, "branding") || {}, accent = get(brand, "accent"), name = get(brand, "product_name");
    var lang = get(survey, "lang"), rtl = get(survey, "dir") == "rtl";
    // Direction and language from the survey (default English, ltr), never from the host.
    var card = el("div", "card " + (container ? "inline " : "float ") + (get(brand, "theme") || "light"), null, {
      role: container ? "region" : "dialog",
      "aria-label": (name ? name + " " : "") + "feedback",
      dir: rtl ? "rtl" : "ltr",
      lang: typeof lang == "string" ? lang : "en",
    });
    var c = merge({
      survey: survey,
      host: host,
      card: card,
      inline: !!container,
      rtl: rtl,
      display: uid(),
      response: uid(),
      score: null,
      answers: map(),
      asked: map(),
      context: merge(cfg.context, get(options, "context"), event ? { event: event } : null),
    });
    if (/^#[0-9a-fA-F]{6}$/.test(accent)) {
      card.style.setProperty("--fb-accent", accent);
      card.style.setProperty("--fb-on", onAccent(accent));
    }
    style(root);
    c.body = el("div", "body");
    c.live = el("div", "live", null, { "aria-live": "polite" });
    card.appendChild(c.body);
    card.appendChild(c.live);
    if (!container) {
      var x = el("button", "x", "\u00D7", { type: "button", "aria-label": "Close" });
      x.addEventListener("click", guard(function () {
        close(c);
      }));
      card.appendChild(x);
      c.outside = guard(function (e) {
        if (host.isConnected && e.composedPath().indexOf(host) < 0) close(c, true);
      });
      d.addEventListener("pointerdown", c.outside, true);
      open = c;
    }
    card.addEventListener("keydown", guard(function (e) {
      if (!c.inline && e.key == "Escape") {
        e.stopPropagation();
        close(c);
      }
    }));
    // The card never takes the focus on show; on close it goes back where it came from.
    host.addEventListener("focusin", function (e) {
      if (c.back === undefined) c.back = e.relatedTarget;
    });
    scaleStep(c);
    root.appendChild(card);
    if (container) {
      var old = container.querySelector("feedback-widget");
      if (old) old.remove();
    }
    (container || d.body).appendChild(host);
    if (!container) {
      try {
        // The top layer: above any z-index and out of transformed or clipping ancestors.
        host.popover = "manual";
        host.showPopover();
      } catch (e) {
        /* z-index only */
      }
    }
    enqueue("POST", "/displays/" + c.display, person({ survey: survey.id, page_url: w.location.href }));
  }

  // Own properties, no prototype: fetch and attachShadow read inherited options.
  function merge() {
    var out = map();
    for (var i = 0; i < arguments.length; i++) {
      var part = arguments[i];
      for (var k in part) if (has(part, k)) out[k] = part[k];
    }
    return out;
  }

  // `away`: a click elsewhere, which moves the focus itself.
  function close(c, away) {
    if (c.closed) return;
    var back = c.back, focused = d.activeElement == c.host;
    c.closed = true;
    if (c.outside) d.removeEventListener("pointerdown", c.outside, true);
    clearTimeout(c.timer);
    c.host.remove();
    if (open == c) open = null;
    if (focused && !away && back && back.isConnected) back.focus({ preventScroll: true });
    if (c.score == null) enqueue("POST", "/displays/" + c.display + "/dismiss", {});
  }

  function scaleStep(c) {
    var s = c.survey, scale = s.scale, min = scale.min, max = scale.max, st = scale.style;
    var labels = get(scale, "labels"), low = get(labels, "low"), high = get(labels, "high");
    var buttons = [], step = c.rtl ? -1 : 1;
    var group = el("div", "scale " + st + " n" + (max - min + 1), null, {
      role: "radiogroup",
      "aria-labelledby": "fb-q",
    });
    group.style.setProperty("--n", max - min + 1);
    for (var n = min; n <= max; n++) {
      var end = n == min ? low : n == max ? high : "";
      var name = st == "thumbs" ? end || (n == min ? "Thumbs down" : "Thumbs up") : n + " out of " + max + (end ? ", " + end : "");
      var b = el("button", "pt", face(st, n, min), {
        type: "button",
        role: "radio",
        "aria-checked": "false",
        "aria-label": name,
        "data-score": n,
        tabindex: n == min ? "0" : "-1",
      });
      if (st != "numbers" && st != "agreement") b.title = name;
      buttons.push(b);
      group.appendChild(b);
    }
    function move(i) {
      i = (i + buttons.length) % buttons.length;
      buttons.forEach(function (b, j) {
        b.tabIndex = i == j ? 0 : -1;
      });
      buttons[i].focus();
    }
    group.addEventListener("click", guard(function (e) {
      var b = e.target.closest("[data-score]");
      if (b) choose(c, +b.getAttribute("data-score"), buttons, b);
    }));
    group.addEventListener("keydown", guard(function (e) {
      var i = buttons.indexOf(e.target), k = e.key;
      if (i < 0) return;
      if (k == "ArrowRight") move(i + step);
      else if (k == "ArrowLeft") move(i - step);
      else if (k == "ArrowDown") move(i + 1);
      else if (k == "ArrowUp") move(i - 1);
      else if (k == "Home") move(0);
      else if (k == "End") move(buttons.length - 1);
      else if (k == "Enter" || k == " ") choose(c, min + i, buttons, e.target);
      else return;
      e.preventDefault();
    }));
    var wrap = el("div", st == "emoji" || st == "stars" ? "fit" : "");
    wrap.appendChild(group);
    if (st != "thumbs" && (low || high)) {
      var ends = el("div", "ends", null, { "aria-hidden": "true" });
      ends.appendChild(el("span", null, low || ""));
      ends.appendChild(el("span", null, high || ""));
      wrap.appendChild(ends);
    }
    c.body.appendChild(el("p", "q", s.question, { id: "fb-q" }));
    c.body.appendChild(wrap);
  }

  function choose(c, score, buttons, chosen) {
    if (c.score != null) return;
    c.score = score;
    buttons.forEach(function (b) {
      b.setAttribute("aria-checked", String(b == chosen));
      b.classList.toggle("lit", +b.getAttribute("data-score") <= score);
    });
    // The next step first: a failure to store never freezes the card.
    c.timer = setTimeout(guard(function () {
      next(c);
    }), 220);
    send(c);
  }

  function send(c) {
    var body = person({
      survey: c.survey.id,
      score: c.score,
      display: c.display,
      page_url: w.location.href,
      context: c.context,
    });
    for (var k in c.answers) {
      body.answers = c.answers;
      break;
    }
    enqueue("PUT", "/responses/" + c.response, body);
  }

  function next(c) {
    var list = followupsFor(c.survey, c.score, c.answers);
    for (var i = 0; i < list.length; i++) {
      if (!c.asked[list[i].id]) {
        c.asked[list[i].id] = true;
        return followupStep(c, list[i]);
      }
    }
    thanks(c);
  }

  function followupStep(c, f) {
    var id = "fb-" + f.id, field, value;
    c.body.textContent = "";
    if (f.type == "text") {
      var max = get(f, "max_length") || 5000;
      var count = el("div", "cnt", "0 / " + max, { id: id + "-n" });
      field = el("textarea", null, null, {
        id: id,
        rows: "3",
        maxlength: String(max),
        placeholder: get(f, "placeholder") || "",
        "aria-describedby": id + "-n",
      });
      field.addEventListener("input", guard(function () {
        count.textContent = field.value.length + " / " + max;
      }));
      field.addEventListener("keydown", guard(function (e) {
        if (e.key == "Enter" && (e.ctrlKey || e.metaKey)) submit();
      }));
      c.body.appendChild(el("label", "p", f.prompt, { for: id }));
      c.body.appendChild(field);
      c.body.appendChild(count);
      value = function () {
        return field.value.trim() || null;
      };
    } else {
      var multiple = f.type == "multiple", inputs = [];
      field = el("fieldset");
      field.appendChild(el("legend", "p", f.prompt));
      (get(f, "options") || []).forEach(function (option) {
        var label = el("label", "opt");
        var input = el("input", null, null, { type: multiple ? "checkbox" : "radio", name: id });
        input.value = option;
        inputs.push(input);
        label.appendChild(input);
        label.appendChild(el("span", null, option));
        field.appendChild(label);
      });
      c.body.appendChild(field);
      value = function () {
        var chosen = inputs.filter(function (i) {
          return i.checked;
        }).map(function (i) {
          return i.value;
        });
        if (!chosen.length) return null;
        return multiple ? chosen : chosen[0];
      };
      field = inputs[0];
    }
    var acts = el("div", "acts");
    var skip = el("button", "b skip", "Skip", { type: "button" });
    var ok = el("button", "b send", "Send", { type: "button" });
    function submit() {
      var v = value();
      if (v != null) c.answers[f.id] = v;
      next(c);
      if (v != null) send(c);
    }
    skip.addEventListener("click", guard(function () {
      next(c);
    }));
    ok.addEventListener("click", guard(submit));
    acts.appendChild(skip);
    acts.appendChild(ok);
    c.body.appendChild(acts);
    if (field) field.focus({ preventScroll: true });
  }

  function thanks(c) {
    var focused = c.card.contains(c.card.getRootNode().activeElement);
    c.body.textContent = "";
    c.live.textContent = "Thank you for your feedback!";
    if (c.inline) return;
    c.live.tabIndex = -1;
    if (focused) c.live.focus({ preventScroll: true });
    c.timer = setTimeout(guard(function () {
      close(c);
    }), 4000);
  }

  /* ---- the public function ---- */

  var commands = {
    init: function (o) {
      var key = get(o, "key"), host = get(o, "host") || (me && me.src ? me.src.replace(/\/widget\.js.*$/, "") : "");
      if (typeof key != "string" || !key) {
        return warnOnce("key", "init needs the public key from Settings: feedback('init', {key: 'pk_...'})");
      }
      cfg = {
        key: key,
        host: String(host).replace(/\/+$/, ""),
        debug: !!get(o, "debug"),
        context: get(o, "context") || {},
        auto: get(o, "auto") !== false,
      };
      log("ready", cfg.host);
      flush();
      check();
    },
    // identify({id, email, traits, userHash}) or identify(id, {email, traits, userHash}); the
    // hash is made on the host's server, so the server can tell the user from a claim.
    identify: function (person, options) {
      var whole = person != null && typeof person == "object", p = whole ? person : options;
      var id = whole ? get(p, "id") : person, email = get(p, "email"), traits = get(p, "traits");
      var hash = get(p, "userHash") || get(p, "user_hash");
      who = id != null || email != null || traits != null ? { id: id, email: email, traits: traits } : null;
      if (who && id != null) who.id = String(id);
      if (who && hash) who.user_hash = String(hash);
      check();
    },
    track: function (event, options) {
      ask(String(event), null, options);
    },
    show: function (survey, options) {
      ask(null, String(survey), options);
    },
    reset: function () {
      who = null;
      save(ANON, "anon-" + uid());
    },
  };

  function feedback(name) {
    try {
      var command = has(commands, name) && commands[name];
      if (!command) return log("unknown command", name);
      command.apply(null, [].slice.call(arguments, 1));
    } catch (e) {
      oops(e);
    }
  }
  feedback.loaded = true;
  feedback.followupsFor = followupsFor;
  w.feedback = feedback;

  try {
    w.addEventListener("online", guard(function () {
      flush();
    }));
    [].slice.call((stub && stub.q) || []).forEach(function (args) {
      feedback.apply(null, args);
    });
    flush();
  } catch (e) {
    oops(e);
  }
})(window, document);
