// The report page's moves between the paragraphs that contain the query: the bar at the top says
// which hit is shown ("第 3 / 12 处") and links to the one before and after it; n or j goes to the
// next hit, p or k to the previous one. Without JavaScript the links at the end of each hit do it.
(function () {
  "use strict";
  var nav = document.getElementById("hitnav");
  if (!nav) return;
  var hits = Array.prototype.slice.call(document.querySelectorAll(".para-hit"));
  var total = Number(nav.dataset.total);
  var before = Number(nav.dataset.before);
  var prevLink = document.getElementById("hit-prev");
  var nextLink = document.getElementById("hit-next");
  var count = document.getElementById("hit-count");
  var label = count.textContent;

  function number(el) {
    return Number(el.id.slice(1));
  }

  // The paragraph the address points at (0 for none: the top of the page).
  function here() {
    var m = /^#p(\d+)$/.exec(location.hash);
    return m ? Number(m[1]) : 0;
  }

  function moves() {
    var at = here(), prev = null, next = null, current = -1;
    hits.forEach(function (el, i) {
      var n = number(el);
      if (n < at) prev = i;
      if (n === at) current = i;
      if (n > at && next === null) next = i;
    });
    return {
      current: current,
      prev: prev !== null ? "#" + hits[prev].id : nav.dataset.prevUrl,
      next: next !== null ? "#" + hits[next].id : nav.dataset.nextUrl,
    };
  }

  function show(link, href, text) {
    link.hidden = !href;
    link.href = href || "#";
    if (text) link.textContent = text;
  }

  function update() {
    var m = moves();
    show(prevLink, m.prev);
    show(nextLink, m.next, "↓ 下一处");
    count.textContent = m.current >= 0 ? "第 " + (before + m.current + 1) + " / " + total + " 处" : label;
  }

  function go(href) {
    if (!href) return;
    if (href.charAt(0) === "#") location.hash = href;
    else location.href = href;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var m = moves();
    if (event.key === "n" || event.key === "j") go(m.next);
    else if (event.key === "p" || event.key === "k") go(m.prev);
    else return;
    event.preventDefault();
  });
  window.addEventListener("hashchange", update);
  update();
})();
