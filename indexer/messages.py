"""What users are told, once: each message has a stable code, an English text (CLI, API) and
a Chinese one (the site). Errors that a user can fix carry their code and details."""

from __future__ import annotations

#: code → (English, Chinese); both are format strings over the same named details.
MESSAGES: dict[str, tuple[str, str]] = {
    "query_too_long": (
        "The query is {length} characters long; the limit is {limit}.",
        "检索词共 {length} 个字符，超过了 {limit} 个字符的上限，请缩短。",
    ),
    "too_many_terms": (
        "The query has more than {limit} terms; search for fewer at once.",
        "检索词超过 {limit} 个，请减少后再检索。",
    ),
    "unknown_sort": (
        "Unknown sort {value!r}; choose from: {choices}.",
        "没有“{value}”这种排序方式，可选：{choices_zh}。",
    ),
    "unknown_section": (
        "Unknown section {value!r}; choose from: {choices}.",
        "没有“{value}”这个章节，可选：{choices_zh}。",
    ),
    "unknown_level": (
        "Unknown report level {value!r}; choose from: {choices}.",
        "没有“{value}”这个级别，可选：{choices}。",
    ),
    # places (indexer/engine/places.py): a bare name that several places share
    "shared_place_name": (
        "{label} {name} names {count} places ({places}); all of them are chosen; give a code for one, e.g. {example}.",
        "{label}“{name}”有 {count} 处同名（{places}），已全部选中；只选其一请用区划代码，如 {example}。",
    ),
    "bad_facet_size": (
        "facet_size must be a whole number from 1 to {limit}, or max, not {value!r}.",
        "参数 facet_size 应为 1 到 {limit} 的整数或 max，而不是“{value}”。",
    ),
    "bad_year": (
        "Year must look like 2023 or 2022-2024, not {value!r}.",
        "年份应写作 2023 或 2022-2024，而不是“{value}”。",
    ),
    "year_out_of_range": (
        "Year {value} is out of range; use a year such as 2023.",
        "年份 {value} 超出范围，请输入如 2023 这样的年份。",
    ),
    # {label} is what the site calls the field (起始年份), {name} the URL parameter (year_from)
    "not_a_number": (
        "{name} must be a whole number, not {value!r}.",
        "{label}应为整数，如 {example}，而不是“{value}”。",
    ),
    "number_out_of_range": ("{name} must be between {low} and {high}.", "{label}应在 {low} 到 {high} 之间。"),
    "keyterms_target": (
        "Give report=<report id> or township=<name> (one of them).",
        "请指定一份报告或一个乡镇（二者选一）。",
    ),
    "not_a_switch": (
        "{name} must be 1 (on) or 0 (off), not {value!r}.",
        "{label}只能是开或关（1 或 0），而不是“{value}”。",
    ),
    "too_many_names": ("Too many or too long {name} names.", "{label}筛选的名称过多或过长。"),
    "missing_query": (
        "Give a query with the q parameter, e.g. /api/search?q=%E6%B3%95%E6%B2%BB (法治, percent-encoded as UTF-8), "
        "or filters only to list their paragraphs.",
        "请输入检索词，或只选择筛选条件以浏览其段落。",
    ),
    "unknown_township": (
        "No township named {township!r}; /api/reports lists the reports and their townships.",
        "没有名为“{township}”的乡镇，请从报告列表中选择。",
    ),
    "no_source_file": (
        "Report {report_id!r} has no original file to download.",
        "报告“{report_id}”没有可下载的原文件。",
    ),
    "source_damaged": (
        "The stored copy of the original file is damaged; the administrator should rebuild the index "
        "(python -m indexer build).",
        "原文件的存档副本已损坏，请联系管理员重建索引。",
    ),
    "source_unreadable": (
        "The original file cannot be read just now; try again later or tell the administrator.",
        "原文件暂时无法读取，请稍后再试或联系管理员。",
    ),
    "index_unavailable": (
        "The index is missing or cannot be read. Build it with: make index (or python -m indexer build).",
        "索引不存在或无法读取，请先建立索引：make index（或 python -m indexer build）。",
    ),
    "busy": ("The server is busy; retry in a few seconds.", "服务器正忙，请过几秒再试。"),
    "server_error": (
        "Something went wrong on the server; the error has been logged.",
        "服务器出错了，错误已记入日志。请稍后再试。",
    ),
    "export_needs_query": (
        "Give a query (q) or a filter to export its paragraphs.",
        "请先输入检索词或选择筛选条件，再导出。",
    ),
    "only_excluded": (
        "Add a term to find: '-term' only excludes paragraphs.",
        "请加上要查找的词：“-词”只用于排除段落。",
    ),
    "nothing_to_search": (
        "The query has nothing to search for: spaces and punctuation such as “” 《》 * are ignored.",
        "检索词中没有可查找的内容：空格和 “” 《》 * 等标点会被忽略。",
    ),
    "lowercase_or": (
        "'or' in lower case is searched for as a word; to find either term, write OR in capitals.",
        "小写的“or”被当作检索词查找；要表示“或”，请写大写 OR。",
    ),
    "proximity_needs_terms": (
        "{operator} needs a term on either side, e.g. 法律明白人 /s 培训.",
        "“{operator}”前后各需要一个检索词，如：法律明白人 /s 培训。",
    ),
    "unknown_scope": (
        "Unknown scope {value!r}: give p (paragraph), s (sentence) or a distance from 1 to {limit}.",
        "范围“{value}”无法识别：可选同段（p）、同句（s）或 1 到 {limit} 之间的字数。",
    ),
    "proximity_range": (
        "{operator}: the distance must be from 1 to {limit} characters, e.g. /10.",
        "“{operator}”：相距字数应在 1 到 {limit} 之间，如 /10。",
    ),
    # concordance (indexer/research/concordance.py)
    "concordance_needs_query": (
        "Give a query (q), e.g. /api/concordance?q=%E6%99%AE%E6%B3%95 (普法): "
        "a concordance lists every occurrence of a query.",
        "请先输入检索词：语境索引列出检索词的每一处出现。",
    ),
    "unknown_statistic": (
        "Unknown statistic {value!r}; choose from: {choices}.",
        "没有“{value}”这种统计量，可选：{choices_zh}。",
    ),
    "unknown_table": (
        "Unknown table {value!r}; choose from: {choices}.",
        "没有“{value}”这种表格，可导出：lines（索引行）、collocates（搭配词）、clusters（词簇）。",
    ),
    # trends (indexer/research/trends.py)
    "too_many_trend_terms": (
        "A trend compares at most {limit} terms; this asks for {count}.",
        "趋势图最多比较 {limit} 个词语，现在有 {count} 个，请删去一些。",
    ),
    "unknown_trend_measure": (
        "Unknown measure {value!r}; choose from: {choices}.",
        "没有“{value}”这个指标，可选：{choices_zh}。",
    ),
    "unknown_breakdown": (
        "Cannot break down by {value!r}; choose from: {choices}.",
        "不能按“{value}”分列，可选：{choices_zh}。",
    ),
    "trends_need_terms": (
        "Give one to {limit} terms as q parameters, e.g. /api/trends?q=法律明白人&q=八五普法.",
        "请输入要比较的词语（1 到 {limit} 个）。",
    ),
    # reports and paragraphs that do not exist (search_app, indexer/research/similar.py)
    "unknown_facet": (
        "No place facet {value!r}; choose from: {choices}.",
        "没有“{value}”这一分面，可选：{choices_zh}。",
    ),
    "unknown_report": (
        "No report with id {report_id!r}; /api/reports and `python -m indexer reports` list them.",
        "没有编号为“{report_id}”的报告，请从报告列表中选择。",
    ),
    "unknown_paragraph": (
        "Report {report_id!r} has paragraphs 1 to {count}, not {paragraph}.",
        "报告“{report_id}”共有 {count} 段，没有第 {paragraph} 段。",
    ),
    # the server (search_app/channel.py): plain text, both languages at once
    "uri_too_long": (
        "The URL is longer than {limit} bytes; shorten the query or choose fewer filters.",
        "网址超过 {limit} 字节，请缩短检索词或减少筛选条件。",
    ),
    "headers_too_large": (
        "The request headers are larger than {limit} bytes; clear this site's cookies and try again.",
        "请求头超过 {limit} 字节，请清除本站的 Cookie 后重试。",
    ),
    "body_too_large": (
        "The request body is larger than {limit} bytes; this site takes no uploads.",
        "请求体超过 {limit} 字节：本站不接收上传。",
    ),
    "request_timeout": (
        "The request did not arrive in time; please try again.",
        "请求未能及时发送完毕，请重试。",
    ),
}


def message(code: str, language: str = "en", **details) -> str:
    """The message for code in "en" or "zh", filled with details."""
    english, chinese = MESSAGES[code]
    return (chinese if language == "zh" else english).format(**details)


class UserError(ValueError):
    """Something the user asked for that cannot be done; str() is the English message, `status` the
    HTTP status the site answers it with (Datasette's Base400: the error carries its status)."""

    status = 400

    def __init__(self, code: str, **details):
        self.code, self.details = code, details
        super().__init__(message(code, "en", **details))

    @property
    def chinese(self) -> str:
        return message(self.code, "zh", **self.details)


class NotFound(UserError):
    """A report, paragraph or township that the index does not have."""

    status = 404


class Unavailable(UserError):
    """Something that cannot be served just now (the index, a source copy, a free slot)."""

    status = 503
