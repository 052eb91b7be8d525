from newscrawl.urls import canonical_url


def test_scheme_forced_to_the_portal_scheme():
    assert canonical_url("http://news.xjtu.edu.cn/info/1002/1.htm", scheme="https") == "https://news.xjtu.edu.cn/info/1002/1.htm"


def test_vsb_content_jsp_alias_becomes_the_info_path():
    url = "http://127.0.0.1:8000/content.jsp?urltype=news.NewsContentUrl&wbtreeid=1002&wbnewsid=123"
    assert canonical_url(url) == "http://127.0.0.1:8000/info/1002/123.htm"


def test_article_query_strings_and_fragments_dropped():
    assert canonical_url("https://NEWS.xjtu.edu.cn:443/info/1002/1.htm?from=list#top") == "https://news.xjtu.edu.cn/info/1002/1.htm"


def test_index_htm_folds_into_its_folder_and_relative_segments_resolve():
    assert canonical_url("https://news.xjtu.edu.cn/index.htm") == "https://news.xjtu.edu.cn/"
    assert canonical_url("https://news.xjtu.edu.cn/index/../info/1002/1.htm") == "https://news.xjtu.edu.cn/info/1002/1.htm"


def test_list_page_queries_are_kept():
    assert canonical_url("https://x.edu.cn/search.jsp?a=1") == "https://x.edu.cn/search.jsp?a=1"


def test_a_webplus_article_url_drops_its_tracking_query():
    assert (canonical_url("https://www.example.edu.cn/2025/0430/c1002a213245/page.htm?from=list#top")
            == "https://www.example.edu.cn/2025/0430/c1002a213245/page.htm")
