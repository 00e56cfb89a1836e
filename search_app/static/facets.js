// The sidebar's find box of a long place facet: as the user types, the values whose name (or
// division code) matches replace the facet's top values, each a link that chooses it. Without
// JavaScript the box is a form that opens /facets/<key>?find=… .
(function () {
  "use strict";
  var SHOWN = 20;

  function item(value) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.className = "facet" + (value.chosen ? " chosen" : "");
    a.href = value.url;
    a.textContent = value.label + " ";
    var count = document.createElement("span");
    count.className = "count";
    count.textContent = value.count;
    a.appendChild(count);
    li.appendChild(a);
    if (value.code) {
      var code = document.createElement("small");
      code.className = "code";
      code.textContent = " " + value.code;
      li.appendChild(code);
    }
    return li;
  }

  function note(text, href) {
    var li = document.createElement("li");
    li.className = "found-note";
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      li.appendChild(a);
    } else {
      li.textContent = text;
    }
    return li;
  }

  function attach(form) {
    var input = form.querySelector("input[name=find]");
    var group = form.parentNode;
    var top = group.querySelector("ul.top-values");
    var found = group.querySelector("ul.found-values");
    var asked = 0;
    var timer = null;

    function show(data, find) {
      found.textContent = "";
      if (!data.values.length) {
        found.appendChild(note("没有名称或代码含“" + find + "”的项"));
      }
      data.values.slice(0, SHOWN).forEach(function (v) { found.appendChild(item(v)); });
      if (data.total > SHOWN) {
        found.appendChild(note("共 " + data.total + " 项，查看全部 →", form.action + "?" + new URLSearchParams(new FormData(form))));
      }
      found.hidden = false;
      top.hidden = true;
    }

    function reset() {
      found.hidden = true;
      found.textContent = "";
      top.hidden = false;
    }

    function ask() {
      var find = input.value.trim();
      var mine = ++asked;
      if (!find) { reset(); return; }
      var url = form.getAttribute("data-api") + "?" + new URLSearchParams(new FormData(form));
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { if (mine === asked) { show(data, find); } })
        .catch(function () { if (mine === asked) { reset(); } }); // the form still works
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    form.setAttribute("data-live", "1");
  }

  document.querySelectorAll("form.find-values").forEach(attach);
})();
