/* Keyboard shortcuts of the appraisal pages (the hints are printed on the page).
   A key works only when no text field has the focus and no modifier is held, so typing a
   comment never triggers a decision. Elements name their key with data-key:
   a link is followed, a form is submitted, a field is focused (its <details> opened).
   Ctrl+Enter (or Cmd+Enter) in a text field submits its form. No dependencies. */
(function () {
  "use strict";
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && typing(ev.target)) {
      var form = ev.target.form;
      if (form) {
        ev.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat || typing(ev.target)) return;
    if (!ev.key || ev.key.length !== 1) return;
    var key = ev.key.toLowerCase();
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) return;
    ev.preventDefault();
    if (target.tagName === "A") { window.location.assign(target.href); return; }
    if (target.tagName === "FORM") {
      if (target.requestSubmit) target.requestSubmit(); else target.submit();
      return;
    }
    var details = target.closest("details");
    if (details) details.open = true;
    target.focus();
    if (target.select) target.select();
  });
})();
