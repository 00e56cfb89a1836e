"""A parsed report: metadata plus paragraphs tagged with heading path and section."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from indexer.documents.ingest import Document, IngestError, read_document
from indexer.documents.levels import TOWNSHIP_LEVEL, UNSETTLED
from indexer.documents.metadata import apply_manifest, extract_metadata
from indexer.documents.paragraphs import split_lines, split_paragraphs
from indexer.documents.sections import (
    PROBLEMS_AND_PLANS,
    category_of_heading,
    keyword_category,
    shape_of,
    turns_to_future,
)

HEADING_SEPARATOR = " > "


@dataclass
class Paragraph:
    """One paragraph as written, with where it sits in the report."""

    number: int  # 1-based position in the report
    text: str
    kind: str  # header | title | heading | body | closing
    heading_path: tuple[str, ...]
    section: str

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)


@dataclass
class Report:
    """A report file, its metadata (with the source of each value) and its paragraphs."""

    report_id: str
    source: str
    township: str | None
    county: str | None
    year: int | None
    date: str | None
    title: str | None
    paragraphs: list[Paragraph]
    repairs: int = 0
    warnings: list[str] = field(default_factory=list)
    province: str | None = None
    prefecture: str | None = None
    code: str | None = None
    province_code: str | None = None
    prefecture_code: str | None = None
    county_code: str | None = None
    township_code: str | None = None
    level: str = UNSETTLED  # whose report it is (levels.LEVELS)
    #: field → where its value came from (title, opening, table, manifest …)
    sources: dict[str, str] = field(default_factory=dict)
    #: The version of the file read (versions.signature), as meta.json records it.
    version: list | None = None
    #: The file's name on disk, relative to the report folder, when it differs from `source`
    #: (a name that is not UTF-8; see folder.display_name). Used to read the file, never stored.
    file: str | None = None
    #: From a saved page's metadata list (formats/furniture.py): 发布机构 (a clue to the place,
    #: see metadata.add_issuer) and 发文字号 (or a letterhead's number line); 成文日期 is `date`
    #: when the text has no closing date. page_meta is the whole list, label → value.
    issuer: str | None = None
    document_number: str | None = None
    page_meta: dict[str, str] = field(default_factory=dict)
    #: The source URL (原文链接): manifest.toml's, else the saved page's own (source_url.py).
    url: str | None = None

    #: How OCR read it (scan.OcrInfo.record: pages, confidence, low_pages), None for a text file.
    ocr: dict | None = None
    #: Pages the OCR engine read for this reading, and pages taken from the OCR cache (not stored).
    ocr_work: tuple[int, int] = (0, 0)


#: Where a field of ReportMeta goes (its `roles`): `list` the report listings (`reports --json`,
#: /api/reports, /api/reports/<id>); `column` the plain and CSV listing (`reports`, `reports --csv`);
#: `live` meta.json's row of each live report (what an update reads instead of reports.json);
#: `hit` every hit, its JSON and CSV exports; `whoosh` Whoosh's stored fields of each paragraph.
ROLES = ("list", "column", "live", "hit", "whoosh")


def _field(*roles: str, default=None):
    return field(default=default, metadata={"roles": frozenset(roles)})


@dataclass
class ReportMeta:
    """A report's metadata as the index keeps it (reports.json), one definition for every listing.

    The fields are in the order listings show them; each field's roles (ROLES) say which
    listings carry it, so a new field is added here once (fields_for gives each listing's list).
    """

    report_id: str = _field("list", "column", "live", "hit", "whoosh", default="")
    source: str = _field("list", "column", "live", "hit", "whoosh", default="")
    province: str | None = _field("list", "column", "live", "hit")
    prefecture: str | None = _field("list", "column", "live", "hit")
    county: str | None = _field("list", "column", "live", "hit", "whoosh")
    township: str | None = _field("list", "column", "live", "hit", "whoosh")
    #: The report's own place's division code: its township's, or a county's or city's report's county or city.
    code: str | None = _field("list", "column", "hit")
    level: str = _field("list", "column", "live", "hit", default=UNSETTLED)
    province_code: str | None = _field("list", "live", "hit")
    prefecture_code: str | None = _field("list", "live", "hit")
    county_code: str | None = _field("list", "live", "hit")
    township_code: str | None = _field("list", "live", "hit")
    year: int | None = _field("list", "column", "live", "hit", "whoosh")
    date: str | None = _field("list", "column")
    title: str | None = _field("list", "column")
    paragraphs: int = _field("list", "column", "live", default=0)
    #: The source URL (原文链接) and the page's 发布机构 (a citation's author): citation.py.
    url: str | None = _field("list")
    issuer: str | None = _field("list")
    sources: dict = _field("list", default=None)
    warnings: list = _field("list", default=None)
    #: How OCR read a scanned report (pages, confidence, low_pages); None for a text file.
    ocr: dict | None = _field("list", default=None)
    #: The id of the report's first paragraph (in its segment in reports.json; in the index in meta.json).
    first_pid: int = _field("live", default=0)
    repairs: int = _field(default=0)
    #: The report id of the report this one is a copy of (engine/duplicates.py), set when the index is read.
    duplicate_of: str | None = _field("list", "column", "hit")

    @classmethod
    def of(cls, report: "Report", first_pid: int = 0) -> "ReportMeta":
        """The record of a parsed report whose paragraphs start at id first_pid."""
        return cls(
            **{
                f.name: getattr(report, f.name)
                for f in fields(cls)
                if f.name not in _COUNTED and hasattr(report, f.name)
            },
            paragraphs=len(report.paragraphs),
            first_pid=first_pid,
        )

    def to_json(self) -> dict:
        return asdict(self)


_COUNTED = ("paragraphs", "first_pid")


def fields_for(role: str) -> tuple[str, ...]:
    """The ReportMeta fields of a listing (ROLES), in order."""
    assert role in ROLES, role
    return tuple(f.name for f in fields(ReportMeta) if role in f.metadata["roles"])


def report_id_for(source: str) -> str:
    """A stable, URL-safe id from the file's path under the report folder: the stem when it is
    plain ASCII, else a hash of the path (城南街道2025.txt in two counties' folders: two ids, so an
    update that adds one takes no id of a report already indexed)."""
    stem = Path(source).stem
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}", stem):
        return stem
    # A name that is not UTF-8 is hashed as its bytes on disk: stable, whatever it displays as.
    return "r" + hashlib.sha1(source.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def parse_report(
    path: Path, overrides: dict | None = None, source: str | None = None, document: Document | None = None
) -> Report:
    """Read and parse one report file; raises IngestError when it cannot be used.

    source is the file's path relative to the report folder (its folders are clues to the place);
    document is the file as read_document read it, when already at hand.
    """
    document = document or read_document(path)
    text, page_meta = document.text, document.page_meta
    texts, repairs, closing_start = split_paragraphs(text, repair=document.whole_paragraphs is False)
    if not texts:
        raise IngestError("no paragraphs of text")
    meta = extract_metadata(split_lines(text), folder=source, page_meta=page_meta)
    if document.url:
        meta.set("url", document.url, document.url_source)
    if overrides:
        apply_manifest(meta, overrides)
    paragraphs = tag_paragraphs(texts, closing_start, meta.title)
    if not any(p.kind == "body" for p in paragraphs):
        raise IngestError("no paragraphs of text (only headings or signatures)")
    report = Report(
        report_id=report_id_for(path.name),
        source=source or path.name,
        township=meta.township,
        county=meta.county,
        year=meta.year,
        date=meta.date,
        title=meta.title,
        paragraphs=paragraphs,
        repairs=repairs,
        province=meta.province,
        prefecture=meta.prefecture,
        code=meta.code,
        province_code=meta.province_code,
        prefecture_code=meta.prefecture_code,
        county_code=meta.county_code,
        township_code=meta.township_code,
        level=meta.level,
        sources=dict(meta.sources),
        version=document.signature,
        issuer=meta.issuer,
        document_number=meta.document_number,
        page_meta=dict(page_meta),
        url=meta.url,
    )
    if document.ocr is not None:
        report.ocr = document.ocr.record()
        report.ocr_work = (document.ocr.recognised, document.ocr.cached)
    if not report.township and report.level in (TOWNSHIP_LEVEL, UNSETTLED):
        report.warnings.append("township not found")
    if not report.year:
        report.warnings.append("year not found")
    report.warnings += [f"{name}: {message}" for name, message in meta.warnings]
    return report


def tag_paragraphs(texts: list[str], closing_start: int, title: str | None) -> list[Paragraph]:
    """Give each paragraph its kind, heading path and section category.

    A top-level heading sets the category; a sub-heading on the first-responsible-person
    duty (（一）党政主要负责人履行推进法治建设第一责任人职责) makes its own part `responsibility`.
    """
    stack: list[tuple[int, str]] = []
    category = "overview"
    sub_category: tuple[int, str] | None = None  # (level, category) of a responsibility sub-heading
    after_problems = False
    combined_turned = False
    title_lines = [t.lstrip("#").strip() for t in texts[:9]]
    title_at = next((i for i, t in enumerate(title_lines) if t == title), -1)
    if title_at < 0 and title:  # a title split over two lines
        title_at = next(
            (i + 1 for i in range(len(title_lines) - 1) if title_lines[i] + title_lines[i + 1] == title), -1
        )
    out: list[Paragraph] = []
    for i, raw in enumerate(texts):
        number = i + 1
        shape = shape_of(raw)
        text = shape.label if shape.markdown else raw
        if i >= closing_start:
            out.append(Paragraph(number, text, "closing", (), "other"))
            continue
        if i <= title_at:  # the title and the letterhead lines above it
            out.append(Paragraph(number, text, "title" if i == title_at else "header", (), "overview"))
            continue
        kind = "heading" if shape.pure else "body"
        own_path: tuple[str, ...] | None = None
        if shape.level and (shape.pure or shape.level <= 2):
            while stack and stack[-1][0] >= shape.level:
                stack.pop()
            stack.append((shape.level, shape.label))
            if sub_category and shape.level <= sub_category[0]:
                sub_category = None
            if shape.level == 1 or (shape.markdown and shape.level == 2 and not stack[:-1]):
                category = category_of_heading(shape.label, after_problems)
                after_problems = after_problems or category in ("problems", "plans", PROBLEMS_AND_PLANS)
                combined_turned = False
            elif keyword_category(shape.label) == "responsibility" and category != "responsibility":
                sub_category = (shape.level, "responsibility")
        elif shape.level:  # a numbered item: its lead names it, for itself only
            own_path = tuple(label for _, label in stack) + (shape.label,)
        section = sub_category[1] if sub_category else category
        if category == PROBLEMS_AND_PLANS and not sub_category:
            if kind == "body" and not combined_turned and turns_to_future(raw):
                combined_turned = True
            section = "plans" if combined_turned else "problems"
        path = own_path or tuple(label for _, label in stack)
        out.append(Paragraph(number, text, kind, path, section))
    return out
