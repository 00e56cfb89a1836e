// Citations: each .cite box holds a read-only field with the reference (GB/T 7714) and a 复制
// button, shown only when this script runs. The button copies the field and says so; a click into
// the field selects it whole, so Ctrl+C copies it without the script's button too.
(function () {
  "use strict";
  function copied(box, ok) {
    var status = box.querySelector(".copied");
    if (status) status.textContent = ok ? "已复制" : "请按 Ctrl+C 复制";
  }
  Array.prototype.forEach.call(document.querySelectorAll(".cite"), function (box) {
    var field = box.querySelector(".citation");
    var button = box.querySelector("button.copy");
    if (!field) return;
    field.addEventListener("focus", function () {
      field.select();
    });
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.focus();
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () {
            copied(box, true);
          },
          function () {
            copied(box, document.execCommand("copy"));
          }
        );
      } else {
        copied(box, document.execCommand("copy"));
      }
    });
  });
})();
