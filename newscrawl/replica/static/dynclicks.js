// The bundled portal's view counter: writes a span, then fills it from dynclicks.jsp,
// the way VSB's /system/resource/js/dynclicks.js does.
function _showDynClicks(clicktype, owner, clickid) {
  var id = "dynclicks_" + clicktype + "_" + clickid;
  document.write('<span id="' + id + '" class="dynclicks"></span>');
  var xhr = new XMLHttpRequest();
  xhr.onreadystatechange = function () {
    if (xhr.readyState == 4 && xhr.status == 200) {
      document.getElementById(id).innerHTML = xhr.responseText;
    }
  };
  xhr.open("GET", "/system/resource/code/news/click/dynclicks.jsp?clickid=" + clickid +
           "&owner=" + owner + "&clicktype=" + clicktype, true);
  xhr.send();
}

// A list page's counters, filled by one request to dynclicksbatch.jsp, which answers the
// counts comma-separated in the order asked (VSB's _showDynClickBatch).
function _showDynClickBatch(ids, clickids, clicktype, owner) {
  var xhr = new XMLHttpRequest();
  xhr.onreadystatechange = function () {
    if (xhr.readyState == 4 && xhr.status == 200) {
      var counts = xhr.responseText.split(",");
      for (var i = 0; i < ids.length && i < counts.length; i++) {
        var el = document.getElementById(ids[i]);
        if (el) el.innerHTML = counts[i];
      }
    }
  };
  xhr.open("GET", "/system/resource/code/news/click/dynclicksbatch.jsp?clickids=" + clickids.join(",") +
           "&owner=" + owner + "&clicktype=" + clicktype, true);
  xhr.send();
}
