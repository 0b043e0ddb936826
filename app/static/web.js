/* cchc web pages: progressive enhancement only. Every form works without this script (it posts
   and the server answers with a page); with it, forms post in the background, the item is
   redrawn in place, the score is computed while typing, and fields fold. No dependencies. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var live = null;

  function say(text, isError) {
    if (!live) live = document.getElementById("live");
    if (!live) return;
    live.textContent = text || "";
    live.classList.toggle("err", !!isError);
    clearTimeout(say.timer);
    if (text) say.timer = setTimeout(function () { live.textContent = ""; }, 6000);
  }

  function replaceFromHtml(target, html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    var fresh = tpl.content.firstElementChild;
    if (target && fresh) target.replaceWith(fresh);
    return fresh;
  }

  /* --- folding fields of the score sheet ------------------------------------------------ */
  function setField(code, open) {
    document.querySelectorAll('tbody[data-field="' + CSS.escape(code) + '"]').forEach(function (tb) {
      if (!tb.hasAttribute("data-field-head")) tb.hidden = !open;
    });
    var btn = document.querySelector('button.toggle[data-toggle="' + CSS.escape(code) + '"]');
    if (btn) btn.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function initToggles() {
    document.querySelectorAll("button.toggle[hidden], [data-js-only][hidden], [data-print][hidden]")
      .forEach(function (el) { el.hidden = false; });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("button.toggle, [data-expand-all], [data-collapse-all], [data-print]");
    if (!t) return;
    if (t.matches("[data-print]")) { window.print(); return; }
    if (t.matches("button.toggle")) {
      setField(t.getAttribute("data-toggle"), t.getAttribute("aria-expanded") !== "true");
      return;
    }
    var open = t.matches("[data-expand-all]");
    document.querySelectorAll("button.toggle[data-toggle]").forEach(function (b) {
      setField(b.getAttribute("data-toggle"), open);
    });
  });

  /* an item linked from the progress panel is unfolded before the jump */
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest('a[href^="#item-"]');
    if (!a) return;
    var target = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
    if (target && target.hidden) setField(target.getAttribute("data-field"), true);
  });

  /* --- the score while typing ----------------------------------------------------------- */
  var timers = new WeakMap();
  function formOf(el) { return el.form || el.closest("form"); }

  function preview(form) {
    var url = form.getAttribute("data-preview");
    if (!url) return;
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf" || el.name === "note" || el.name === "version") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      params.append(el.name, el.value);
    });
    var tbody = form.closest("tbody");
    var out = tbody && tbody.querySelector("[data-preview-out]");
    fetch(url + "&" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!out) return;
        if (!data.ok) { out.textContent = data.error || ""; out.classList.add("err"); return; }
        out.classList.remove("err");
        out.textContent = data.score === null || data.score === undefined ? "" :
          "→ " + data.score + " (" + (document.documentElement.lang === "en" ? "not saved" : "chưa lưu") + ")";
      })
      .catch(function () {});
  }

  function schedulePreview(ev) {
    var el = ev.target;
    if (!el.name || el.name === "note") return;
    var form = formOf(el);
    if (!form || !form.hasAttribute("data-preview")) return;
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(function () { preview(form); }, 250));
  }
  document.addEventListener("input", schedulePreview);
  document.addEventListener("change", schedulePreview);

  /* --- forms posted in the background --------------------------------------------------- */
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { ev.preventDefault(); return; }
    if (!form.hasAttribute("data-ajax") || !window.fetch || !window.FormData) return;
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var file = form.querySelector('input[type="file"]');
    if (limit && file && file.files && file.files[0] && file.files[0].size > limit) {
      ev.preventDefault();
      say(form.getAttribute("data-too-large"), true);
      return;
    }
    ev.preventDefault();
    var csrf = form.querySelector('input[name="csrf"]');
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf ? csrf.value : "" }
    }).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      var data = res.data || {};
      if (res.status === 401) { window.location.reload(); return; }
      if (data.row) {
        var tbody = form.closest("tbody.item") ||
          document.getElementById("item-" + (form.querySelector('input[name="item"]') || {}).value);
        var fresh = replaceFromHtml(tbody, data.row);
        if (fresh && fresh.querySelector(".err")) fresh.querySelector(".err").focus && fresh.scrollIntoView({ block: "nearest" });
      }
      if (data.progress) replaceFromHtml(document.getElementById("progress"), data.progress);
      if (data.row || data.progress) initToggles();
      say(data.error || data.message || data.detail || "", !!(data.error || data.detail));
    }).catch(function () {
      form.removeAttribute("data-ajax");
      form.submit();
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initToggles);
  else initToggles();
})();
