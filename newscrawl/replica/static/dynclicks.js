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
