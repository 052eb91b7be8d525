// Fills the 相关文章 box from related.jsp (JSON [{url, title}]).
function _showRelated(owner, newsid) {
  var xhr = new XMLHttpRequest();
  xhr.onreadystatechange = function () {
    if (xhr.readyState == 4 && xhr.status == 200) {
      var items = JSON.parse(xhr.responseText), html = "";
      for (var i = 0; i < items.length; i++) {
        html += '<li><a href="' + items[i].url + '">' + items[i].title + '</a></li>';
      }
      document.getElementById("related_list").innerHTML = html;
    }
  };
  xhr.open("GET", "/system/resource/code/news/related.jsp?owner=" + owner + "&newsid=" + newsid, true);
  xhr.send();
}
