"""What users are told, once: each message has a stable code, an English text (CLI, API) and
a Chinese one (the site). Errors that a user can fix carry their code and details."""

from __future__ import annotations

#: code → (English, Chinese); both are format strings over the same named details.
MESSAGES: dict[str, tuple[str, str]] = {
    "query_too_long": ("The query is {length} characters long; the limit is {limit}.",
                       "检索词共 {length} 个字符，超过了 {limit} 个字符的上限，请缩短。"),
    "too_many_terms": ("The query has more than {limit} terms; search for fewer at once.",
                       "检索词超过 {limit} 个，请减少后再检索。"),
    "unknown_sort": ("Unknown sort {value!r}; choose from: {choices}.",
                     "没有“{value}”这种排序方式，可选：{choices_zh}。"),
    "unknown_section": ("Unknown section {value!r}; choose from: {choices}.",
                        "没有“{value}”这个章节，可选：{choices_zh}。"),
    "bad_year": ("Year must look like 2023 or 2022-2024, not {value!r}.",
                 "年份应写作 2023 或 2022-2024，而不是“{value}”。"),
    "year_out_of_range": ("Year {value} is out of range; use a year such as 2023.",
                          "年份 {value} 超出范围，请输入如 2023 这样的年份。"),
    "not_a_number": ("{name} must be a whole number, not {value!r}.",
                     "参数 {name} 应为整数，而不是“{value}”。"),
    "number_out_of_range": ("{name} must be between {low} and {high}.",
                            "参数 {name} 应在 {low} 到 {high} 之间。"),
    "too_many_names": ("Too many or too long {name} names.",
                       "{label}筛选的名称过多或过长。"),
    "export_needs_query": ("Give a query (q) or a filter to export its paragraphs.",
                           "请先输入检索词或选择筛选条件，再导出。"),
    "only_excluded": ("Add a term to find: '-term' only excludes paragraphs.",
                      "请加上要查找的词：“-词”只用于排除段落。"),
    "nothing_to_search": ("The query has nothing to search for: spaces and punctuation such as “” 《》 * are ignored.",
                          "检索词中没有可查找的内容：空格和 “” 《》 * 等标点会被忽略。"),
}


def message(code: str, language: str = "en", **details) -> str:
    """The message for code in "en" or "zh", filled with details."""
    english, chinese = MESSAGES[code]
    return (chinese if language == "zh" else english).format(**details)


class UserError(ValueError):
    """Something the user asked for that cannot be done; str() is the English message."""

    def __init__(self, code: str, **details):
        self.code, self.details = code, details
        super().__init__(message(code, "en", **details))

    @property
    def chinese(self) -> str:
        return message(self.code, "zh", **self.details)
