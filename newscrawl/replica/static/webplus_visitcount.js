/* The bundled WebPlus portal's jquery.sudy.wp.visitcount.js: each WP_VisitCount span asks
   the URL in its url attribute for the article's count and shows the answer. */
(function () {
  function fill() {
    var spans = document.querySelectorAll("span.WP_VisitCount[url]");
    Array.prototype.forEach.call(spans, function (span) {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", span.getAttribute("url"));
      xhr.onload = function () {
        if (xhr.status === 200) { span.textContent = xhr.responseText.replace(/^\s+|\s+$/g, ""); }
      };
      xhr.send();
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fill); } else { fill(); }
})();
