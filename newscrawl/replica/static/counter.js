// Visit counter beacon (VSB's _jsq_); the bundled portal ignores it.
function _jsq_(treeid, pagename, newsid, owner) {}
