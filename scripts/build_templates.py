"""Build the Word templates in templates/ (bulletin, letter, yearbook) with python-docx.

The templates carry Jinja tags for docxtpl and the GB/T 9704-2012 layout (党政机关公文格式):
A4, 天头 37 mm, 订口 28 mm, text block 156 × 225 mm, 22 lines of 28 characters
(docGrid type="lines", line pitch 579 twips, character spacing −0.25 pt), title 2号 方正小标宋简体,
body 3号 仿宋_GB2312, headings 一、 in 黑体 and （一） in 楷体_GB2312, page numbers 4号 宋体 as
``— 1 —`` (odd pages right, even pages left, one character in). East Asian fonts are set through
``w:eastAsia`` and every theme font attribute is removed, so Word and LibreOffice use the named fonts.

Run ``python scripts/build_templates.py`` (or ``make templates``) after changing this file; the
output is deterministic apart from the zip timestamps.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "templates"

# Fonts as the standard names them; the shipped fontconfig file maps them for Linux previews.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体_GB2312"
SONG = "宋体"
LATIN = "Times New Roman"

TWIPS_PER_MM = 1440 / 25.4
LINE_PITCH = 579  # 225 mm / 22 lines, in twips
BODY_PT = 16
TEXT_WIDTH = 8844  # 156 mm in twips
# 28 characters of 16 pt (320 twips) need 8960 twips; −5 twips each brings them to 8820 ≤ 8844.
CHAR_SPACING = -5
RED = "FF0000"

# Styles kept from python-docx's default template; the rest (≈ 400 kB of table styles) is removed.
KEEP_STYLES = {
    "Normal",
    "Default Paragraph Font",
    "Normal Table",
    "No List",
    "Table Grid",
    "Header",
    "Footer",
    "Header Char",
    "Footer Char",
}


def mm(value: float) -> int:
    return round(value * TWIPS_PER_MM)


# -- low-level OOXML helpers ---------------------------------------------------------------------


def set_fonts(rpr, east: str, latin: str = LATIN) -> None:
    """Name the fonts of a run-properties element explicitly and drop the theme attributes."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del rfonts.attrib[attr]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:hint"), "eastAsia")


def strip_theme_fonts(root) -> None:
    for rfonts in root.iter(qn("w:rFonts")):
        for attr in list(rfonts.attrib):
            local = attr.split("}")[-1]
            if local in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
                del rfonts.attrib[attr]


def child(parent, tag: str, **attrs):
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), str(v))
    return el


def run_props(style, east: str, size_pt: float, bold: bool = False, color: str | None = None, spacing=None):
    rpr = style.element.get_or_add_rPr()
    for el in list(rpr):
        rpr.remove(el)
    set_fonts(rpr, east)
    if bold:
        rpr.append(parse_xml(f"<w:b {nsdecls('w')}/>"))
        rpr.append(parse_xml(f"<w:bCs {nsdecls('w')}/>"))
    else:
        rpr.append(parse_xml(f'<w:b {nsdecls("w")} w:val="0"/>'))
    if color:
        rpr.append(parse_xml(f'<w:color {nsdecls("w")} w:val="{color}"/>'))
    if spacing:
        rpr.append(parse_xml(f'<w:spacing {nsdecls("w")} w:val="{spacing}"/>'))
    half = int(size_pt * 2)
    rpr.append(parse_xml(f'<w:kern {nsdecls("w")} w:val="0"/>'))
    rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{half}"/>'))
    rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{half}"/>'))


def para_props(
    style,
    align: str = "both",
    first_chars: int = 0,
    size_pt: float = BODY_PT,
    line: int | None = LINE_PITCH,
    before: int = 0,
    after: int = 0,
    right_chars: int = 0,
    keep_next: bool = False,
    outline: int | None = None,
    snap: bool = True,
    line_rule: str = "exact",
) -> None:
    ppr = style.element.get_or_add_pPr()
    for el in list(ppr):
        ppr.remove(el)
    if keep_next:
        ppr.append(parse_xml(f"<w:keepNext {nsdecls('w')}/>"))
    ppr.append(parse_xml(f"<w:widowControl {nsdecls('w')}/>"))
    # Body text snaps to the 22-line grid; tables, titles and notes keep their own spacing.
    ppr.append(parse_xml(f'<w:snapToGrid {nsdecls("w")} w:val="{1 if snap else 0}"/>'))
    if line:
        spacing = f'<w:spacing {nsdecls("w")} w:before="{before}" w:after="{after}" w:line="{line}" w:lineRule="{line_rule}"/>'
    else:
        spacing = f'<w:spacing {nsdecls("w")} w:before="{before}" w:after="{after}" w:line="240" w:lineRule="auto"/>'
    ppr.append(parse_xml(spacing))
    char = int(size_pt * 20)
    ind = []
    if first_chars:
        # Both: Word reads the character count, older readers the twips.
        ind.append(f'w:firstLineChars="{first_chars * 100}" w:firstLine="{first_chars * char}"')
    else:
        ind.append('w:firstLineChars="0" w:firstLine="0"')
    if right_chars:
        ind.append(f'w:rightChars="{right_chars * 100}" w:right="{right_chars * char}"')
    ppr.append(parse_xml(f"<w:ind {nsdecls('w')} {' '.join(ind)}/>"))
    ppr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="{align}"/>'))
    if outline is not None:
        ppr.append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{outline}"/>'))


def add_style(doc, name: str, base: str | None = "Normal"):
    from docx.enum.style import WD_STYLE_TYPE

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = doc.styles[base]
    style.quick_style = True
    return style


def prune_styles(doc) -> None:
    root = doc.styles.element
    for st in list(root.findall(qn("w:style"))):
        name = st.find(qn("w:name"))
        if st.get(qn("w:customStyle")) != "1" and (name is None or name.get(qn("w:val")) not in KEEP_STYLES):
            root.remove(st)
    latent = root.find(qn("w:latentStyles"))
    if latent is not None:
        root.remove(latent)


def setup_document(doc) -> None:
    """Styles, page and section of an official document."""
    styles = doc.styles
    # Defaults: 仿宋_GB2312 3号, no theme fonts, Chinese language.
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_FONT)
    for tag, val in (("w:sz", "32"), ("w:szCs", "32")):
        child(rpr, tag, val=val)
    lang = child(rpr, "w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for el in list(ppr):
        ppr.remove(el)
    ppr.append(parse_xml(f'<w:spacing {nsdecls("w")} w:after="0" w:line="{LINE_PITCH}" w:lineRule="exact"/>'))

    normal = styles["Normal"]
    run_props(normal, BODY_FONT, BODY_PT, spacing=CHAR_SPACING)
    para_props(normal)

    s = add_style(doc, "公文正文")
    run_props(s, BODY_FONT, BODY_PT, spacing=CHAR_SPACING)
    para_props(s, first_chars=2)

    s = add_style(doc, "公文标题")
    run_props(s, TITLE_FONT, 22)
    para_props(s, align="center", size_pt=22, line=700, keep_next=True, outline=0, snap=False)

    s = add_style(doc, "公文发文机关标志")
    run_props(s, TITLE_FONT, 26, color=RED)
    para_props(s, align="center", size_pt=26, line=800, snap=False)

    s = add_style(doc, "公文发文字号")
    run_props(s, BODY_FONT, BODY_PT)
    para_props(s, align="center")

    s = add_style(doc, "公文分隔线")
    run_props(s, BODY_FONT, 4)
    para_props(s, align="center", line=120, snap=False)
    ppr = s.element.get_or_add_pPr()
    ppr.insert(
        0,
        parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" w:space="1" w:color="{RED}"/></w:pBdr>'),
    )

    s = add_style(doc, "公文主送机关")
    run_props(s, BODY_FONT, BODY_PT, spacing=CHAR_SPACING)
    para_props(s, align="left")

    s = add_style(doc, "公文一级标题")
    run_props(s, HEI, BODY_PT)
    para_props(s, first_chars=2, keep_next=True, outline=1)

    s = add_style(doc, "公文二级标题")
    run_props(s, KAI, BODY_PT)
    para_props(s, first_chars=2, keep_next=True, outline=2)

    s = add_style(doc, "公文署名")
    run_props(s, BODY_FONT, BODY_PT)
    para_props(s, align="right", right_chars=2)

    s = add_style(doc, "公文成文日期")
    run_props(s, BODY_FONT, BODY_PT)
    para_props(s, align="right", right_chars=4)

    s = add_style(doc, "公文附件说明")
    run_props(s, BODY_FONT, BODY_PT, spacing=CHAR_SPACING)
    para_props(s, first_chars=2, keep_next=True)

    s = add_style(doc, "公文附件标识")
    run_props(s, HEI, BODY_PT)
    para_props(s, align="left", keep_next=True)

    s = add_style(doc, "公文表题")
    run_props(s, HEI, 14)
    para_props(s, align="center", size_pt=14, line=None, before=120, after=120, keep_next=True, snap=False)

    # Tables in 五号 (10.5 pt), single spaced, off the grid so rows stay one line high.
    s = add_style(doc, "公文表格")
    run_props(s, BODY_FONT, 10.5)
    para_props(s, align="center", size_pt=10.5, line=None, snap=False)

    s = add_style(doc, "公文表头")
    run_props(s, HEI, 10.5)
    para_props(s, align="center", size_pt=10.5, line=None, snap=False)

    s = add_style(doc, "公文表注")
    run_props(s, BODY_FONT, 10.5)
    para_props(s, align="left", size_pt=10.5, line=None, snap=False, before=60)

    s = add_style(doc, "公文表单位")
    run_props(s, BODY_FONT, 10.5)
    para_props(s, align="right", size_pt=10.5, line=None, keep_next=True, snap=False)

    s = add_style(doc, "公文页码")
    run_props(s, SONG, 14)
    para_props(s, align="right", size_pt=14, line=None, snap=False)

    for name in ("Header", "Footer"):
        st = styles[name]
        run_props(st, SONG, 14)
        para_props(st, align="center", size_pt=14, line=None, snap=False)

    prune_styles(doc)
    strip_theme_fonts(styles.element)

    # Even and odd pages have their own footers (page numbers right, then left).
    doc.settings.odd_and_even_pages_header_footer = True
    settings = doc.settings.element
    # Chinese punctuation compression off: the 28-character line must hold exactly.
    for tag in ("w:characterSpacingControl",):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    settings.append(parse_xml(f'<w:characterSpacingControl {nsdecls("w")} w:val="doNotCompress"/>'))

    section = doc.sections[0]
    page_setup(section)


def page_setup(section) -> None:
    section.page_width = Mm(210)
    section.page_height = Mm(297)
    section.top_margin = Mm(37)
    section.bottom_margin = Mm(35)
    section.left_margin = Mm(28)
    section.right_margin = Mm(26)
    section.header_distance = Mm(15)
    # The page number's line sits about 7 mm below the text block.
    section.footer_distance = Mm(24)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    for attr in list(grid.attrib):
        del grid.attrib[attr]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    add_page_numbers(section)


def page_number_paragraph(footer, align: str, indent_attr: str) -> None:
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    ppr = p._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:ind {nsdecls("w")} w:{indent_attr}Chars="100" w:{indent_attr}="280"/>'))
    ppr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="{align}"/>'))
    rpr = f'<w:rPr><w:rFonts w:ascii="{SONG}" w:hAnsi="{SONG}" w:eastAsia="{SONG}" w:cs="{SONG}"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr>'
    runs = (
        f'<w:r {nsdecls("w")}>{rpr}<w:t xml:space="preserve">— </w:t></w:r>',
        f'<w:r {nsdecls("w")}>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {nsdecls("w")}>{rpr}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
        f'<w:r {nsdecls("w")}>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>',
        f"<w:r {nsdecls('w')}>{rpr}<w:t>1</w:t></w:r>",
        f'<w:r {nsdecls("w")}>{rpr}<w:fldChar w:fldCharType="end"/></w:r>',
        f'<w:r {nsdecls("w")}>{rpr}<w:t xml:space="preserve"> —</w:t></w:r>',
    )
    for r in runs:
        p._p.append(parse_xml(r))


def add_page_numbers(section) -> None:
    page_number_paragraph(section.footer, "right", "right")
    page_number_paragraph(section.even_page_footer, "left", "left")
    # Headers stay empty but are defined, so a following section does not inherit others'.
    section.header.is_linked_to_previous = False
    section.even_page_header.is_linked_to_previous = False


def p(doc, text: str = "", style: str = "公文正文", page_break_before: bool = False):
    par = doc.add_paragraph(style=style)
    if text:
        par.add_run(text)
    if page_break_before:
        par._p.get_or_add_pPr().insert(0, parse_xml(f"<w:pageBreakBefore {nsdecls('w')}/>"))
    return par


#: tcW of a column whose width the renderer sets: the columns a {%tc for%} loop repeats share
#: what the fixed columns leave of the table width (see perf_excel.documents.parts.fit_tables).
FLEX = None


def table(doc, widths_mm: list, rows: list[list[str]], header_rows: int = 1, three_line: bool = False):
    """A table of fixed column widths; header rows repeat on every page and never split.

    A width of ``FLEX`` marks a column repeated by ``{%tc for%}``: its cells get the width 1 twip,
    which the renderer replaces by an equal share of the width the fixed columns leave.
    """
    t = doc.add_table(rows=len(rows), cols=len(widths_mm))
    tbl = t._tbl
    tblpr = tbl.tblPr
    for el in list(tblpr):
        if el.tag != qn("w:tblStyle"):
            tblpr.remove(el)
    style = tblpr.find(qn("w:tblStyle"))
    if style is not None:
        tblpr.remove(style)
    total = TEXT_WIDTH if FLEX in widths_mm else sum(mm(w) for w in widths_mm)
    twips = [1 if w is FLEX else mm(w) for w in widths_mm]
    tblpr.append(parse_xml(f'<w:tblW {nsdecls("w")} w:w="{total}" w:type="dxa"/>'))
    tblpr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="center"/>'))
    if three_line:
        borders = (
            '<w:top w:val="single" w:sz="12" w:space="0" w:color="000000"/>'
            '<w:left w:val="nil"/><w:bottom w:val="single" w:sz="12" w:space="0" w:color="000000"/>'
            '<w:right w:val="nil"/><w:insideH w:val="nil"/><w:insideV w:val="nil"/>'
        )
    else:
        borders = "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
    tblpr.append(parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>"))
    tblpr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    tblpr.append(
        parse_xml(
            f'<w:tblCellMar {nsdecls("w")}><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
        )
    )
    grid = tbl.tblGrid
    for gc, w in zip(grid.findall(qn("w:gridCol")), twips):
        gc.set(qn("w:w"), str(w))
    for i, (row, values) in enumerate(zip(t.rows, rows)):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
        # Rows at least 7 mm high, as printed statistical tables have them.
        trpr.append(parse_xml(f'<w:trHeight {nsdecls("w")} w:val="397" w:hRule="atLeast"/>'))
        if i < header_rows:
            trpr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
        for j, (cell, value) in enumerate(zip(row.cells, values)):
            tcpr = cell._tc.get_or_add_tcPr()
            tcw = tcpr.find(qn("w:tcW"))
            if tcw is not None:
                tcpr.remove(tcw)
            tcpr.insert(0, parse_xml(f'<w:tcW {nsdecls("w")} w:w="{twips[j]}" w:type="dxa"/>'))
            tcpr.append(parse_xml(f'<w:vAlign {nsdecls("w")} w:val="center"/>'))
            if three_line and i == header_rows - 1:
                tcpr.append(
                    parse_xml(
                        f'<w:tcBorders {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="0" w:color="000000"/></w:tcBorders>'
                    )
                )
            par = cell.paragraphs[0]
            par.style = doc.styles["公文表头" if i < header_rows else "公文表格"]
            if value:
                align = None
                if value.startswith("<"):
                    align, value = value[1:].split(">", 1)
                par.add_run(value)
                if align:
                    par._p.get_or_add_pPr().append(parse_xml(f'<w:jc {nsdecls("w")} w:val="{align}"/>'))
    return t


def set_core(doc, title: str, subject: str) -> None:
    cp = doc.core_properties
    cp.title = title
    cp.subject = subject
    cp.author = "{{ issuer }}"
    cp.comments = "perf_excel 模板（scripts/build_templates.py 生成）"
    cp.keywords = ""
    cp.last_modified_by = ""
    cp.revision = 1
    import datetime as _dt

    fixed = _dt.datetime(2026, 1, 1, 0, 0, 0)
    cp.created = fixed
    cp.modified = fixed
    cp.last_printed = fixed


def drop_parts(doc) -> None:
    """Drop what python-docx's default template carries but a template does not need.

    stylesWithEffects.xml alone is 430 kB (it would be re-compressed for every letter), the
    thumbnail shows a blank page, customXml holds nothing of ours.
    """
    unwanted = ("stylesWithEffects", "thumbnail", "customXml")
    for source in (doc.part, doc.part.package):
        for rid, rel in list(source.rels.items()):
            if any(u in rel.reltype for u in unwanted):
                source.rels.pop(rid)


def new_document():
    doc = Document()
    drop_parts(doc)
    # Drop the default empty paragraph.
    body = doc.element.body
    for par in body.findall(qn("w:p")):
        body.remove(par)
    setup_document(doc)
    return doc


def head_block(doc, kind: str = "通报") -> None:
    """版头: 发文机关标志 in red, 发文字号, red rule, then the title two lines below."""
    p(doc, "{{ issuer }}", "公文发文机关标志")
    p(doc, "", "公文发文字号")
    p(doc, "{{ doc_number }}", "公文发文字号")
    p(doc, "", "公文分隔线")
    p(doc, "", "Normal")


def signature_block(doc) -> None:
    """署名 and 成文日期, kept on one page with the paragraph before them (never a page of only a date)."""
    body = doc.element.body
    last = body.findall(qn("w:p"))[-1]
    last.get_or_add_pPr().insert(0, parse_xml(f"<w:keepNext {nsdecls('w')}/>"))
    p(doc, "", "Normal").paragraph_format.keep_with_next = True
    p(doc, "", "Normal").paragraph_format.keep_with_next = True
    p(doc, "{{ issuer }}", "公文署名").paragraph_format.keep_with_next = True
    p(doc, "{{ date|cn_date }}", "公文成文日期")


# -- the three templates -------------------------------------------------------------------------


def build_bulletin(path: Path) -> None:
    doc = new_document()
    set_core(doc, "{{ doc_title }}", "{{ title }}")
    head_block(doc)
    p(doc, "{{ doc_title }}", "公文标题")
    p(doc, "", "Normal")
    p(doc, "{{ recipients }}：", "公文主送机关")
    p(
        doc,
        "根据{{ title }}工作安排，{{ issuer }}对{{ n_units }}个单位（{% for c in categories %}{{ c.name }}{{ c.n }}个{% if not loop.last %}、{% endif %}{% endfor %}）"
        "进行了考核。现将考核结果通报如下。",
    )
    p(doc, "一、总体情况", "公文一级标题")
    p(
        doc,
        "本次考核共{{ n_units }}个单位参加，分{{ categories|length|cn_num }}类分别排名。"
        "{% for c in categories %}{{ c.name }}{{ c.n }}个单位，平均得分{{ c.average|pts }}分，"
        "最高{{ c.max|pts }}分，最低{{ c.min|pts }}分；{% endfor %}"
        "全部单位平均得分{{ average|pts }}分。",
    )
    p(
        doc,
        "评定结果：{% for g in grades %}{{ g.name }}{{ g.count }}个{% if not loop.last %}，{% endif %}{% endfor %}。"
        "{% if excellent_rule %}{{ excellent_rule }}{% endif %}",
    )
    p(doc, "二、考核结果", "公文一级标题")
    p(doc, "{%p for c in categories %}", "公文正文")
    p(doc, "（{{ loop.index|cn_num }}）{{ c.name }}", "公文二级标题")
    p(
        doc,
        "{{ c.name }}共{{ c.n }}个单位。{% for g in c.grades %}{{ g.name }}{{ g.count }}个{% if not loop.last %}，{% endif %}{% endfor %}。"
        "{% if c.excellent %}评为{{ top_grade }}的单位：{{ c.excellent|join('、') }}。{% else %}本类别无{{ top_grade }}单位。{% endif %}"
        "各单位得分及排名见附件{{ loop.index }}。",
    )
    p(doc, "{%p endfor %}", "公文正文")
    p(doc, "三、一票否决情况", "公文一级标题")
    p(doc, "{%p if vetoed %}", "公文正文")
    p(doc, "{%p for v in vetoed %}", "公文正文")
    p(
        doc,
        "{{ v.name }}（{{ v.category }}）因{{ v.reasons|join('；') }}，实行一票否决，{{ v.effect }}。"
        "该单位考核得分{{ v.total|pts }}分，类别排名{{ v.rank|rank_cn(v.tied) }}，等次为{{ v.grade }}。",
    )
    p(doc, "{%p endfor %}", "公文正文")
    p(doc, "{%p else %}", "公文正文")
    p(doc, "本年度无一票否决单位。", "公文正文")
    p(doc, "{%p endif %}", "公文正文")
    p(doc, "四、有关说明", "公文一级标题")
    p(doc, "{%p for n in notes %}", "公文正文")
    p(doc, "（{{ loop.index|cn_num }}）{{ n.heading }}", "公文二级标题")
    p(doc, "{%p for line in n.lines %}", "公文正文")
    p(doc, "{{ line }}", "公文正文")
    p(doc, "{%p endfor %}", "公文正文")
    p(doc, "{%p endfor %}", "公文正文")
    # The last body paragraph, 附件说明 and the signature stay on one page (never a page of only 署名 and date).
    p(
        doc,
        "希望受到通报表扬的单位再接再厉；其他单位要对照考核反馈单查找差距，认真整改。"
        "各单位对考核结果如有异议，请于通报印发之日起10个工作日内向{{ issuer }}提出书面复核申请。",
    ).paragraph_format.keep_with_next = True
    p(doc, "", "Normal").paragraph_format.keep_with_next = True
    p(doc, "附件：1．{{ categories[0].attachment_title }}", "公文附件说明")
    p(doc, "{%p for c in categories[1:] %}", "公文附件说明")
    para = p(doc, "{{ loop.index + 1 }}．{{ c.attachment_title }}", "公文附件说明")
    par_pr = para._p.get_or_add_pPr()
    par_pr.append(
        parse_xml(f'<w:ind {nsdecls("w")} w:leftChars="500" w:left="1600" w:firstLineChars="0" w:firstLine="0"/>')
    )
    p(doc, "{%p endfor %}", "公文附件说明")
    p(doc, "{%p if anomalies %}", "公文附件说明")
    para = p(doc, "{{ categories|length + 1 }}．{{ anomaly_title }}", "公文附件说明")
    para._p.get_or_add_pPr().append(
        parse_xml(f'<w:ind {nsdecls("w")} w:leftChars="500" w:left="1600" w:firstLineChars="0" w:firstLine="0"/>')
    )
    p(doc, "{%p endif %}", "公文附件说明")
    signature_block(doc)

    # Attachments: each category's ranking table on a new page.
    p(doc, "{%p for c in categories %}", "公文正文")
    p(doc, "附件{{ loop.index }}", "公文附件标识", page_break_before=True)
    p(doc, "", "Normal")
    p(doc, "{{ c.attachment_title }}", "公文标题")
    p(doc, "", "Normal")
    # The dimension columns come from the data ({%tc%}) and share the width left over.
    table(
        doc,
        [10, 40, FLEX, FLEX, FLEX, 13, 13, 18],
        [
            ["名次", "单位", "{%tc for d in c.dims %}", "{{ d }}", "{%tc endfor %}", "加减分", "总分", "等次"],
            ["{%tr for u in c.units %}", "", "", "", "", "", "", ""],
            [
                "{{ u.rank|rank_cn(u.tied, true) }}",
                "<left>{{ u.name }}",
                "{%tc for s in u.dims %}",
                "{{ s|pts }}",
                "{%tc endfor %}",
                "{{ u.adjustment|signed }}",
                "{{ u.total|pts }}",
                "{{ u.grade_label }}",
            ],
            ["{%tr endfor %}", "", "", "", "", "", "", ""],
        ],
    )
    p(doc, "注：{{ c.table_note }}", "公文表注")
    p(doc, "{%p endfor %}", "公文正文")

    # The last attachment, only when there are any: 数据异动预警 (they never change a score).
    p(doc, "{%p if anomalies %}", "公文正文")
    p(doc, "附件{{ categories|length + 1 }}", "公文附件标识", page_break_before=True)
    p(doc, "", "Normal")
    p(doc, "{{ anomaly_title }}", "公文标题")
    p(doc, "", "Normal")
    table(
        doc,
        [26, 26, 18, 12, 56, 18],
        [
            ["单位", "指标", "类型", "数值", "情况", "单元格"],
            ["{%tr for a in anomalies %}", "", "", "", "", ""],
            [
                "<left>{{ a.unit_name }}",
                "<left>{{ a.indicator_name }}",
                "{{ a.kind }}",
                "{{ a.value|num }}",
                "<left>{{ a.comparison }}",
                "{{ a.cell }}",
            ],
            ["{%tr endfor %}", "", "", "", "", ""],
        ],
    )
    p(doc, "注：数据异动预警仅提示核实数据，不影响考核得分。", "公文表注")
    p(doc, "{%p endif %}", "公文正文")
    doc.save(path)


def build_letter(path: Path) -> None:
    doc = new_document()
    set_core(doc, "{{ doc_title }}", "{{ unit.name }}")
    p(doc, "{{ doc_title }}", "公文标题")
    p(doc, "", "Normal")
    p(doc, "{{ unit.name }}：", "公文主送机关")
    p(doc, "根据{{ title }}结果，现将你单位考核情况反馈如下。")
    p(doc, "一、总体结果", "公文一级标题")
    p(
        doc,
        "你单位（{{ unit.category }}）考核总分{{ unit.total|pts }}分，在本类别{{ unit.n_in_category }}个单位中"
        "排{{ unit.rank|rank_cn(unit.tied) }}，等次为{{ unit.grade }}。本类别平均得分{{ unit.category_average|pts }}分。",
    )
    p(doc, "总分计算过程：{{ unit.explanation }}。")
    p(doc, "二、分项得分", "公文一级标题")
    table(
        doc,
        [44, 22, 30, 30, 30],
        [
            ["考核维度", "满分", "本单位得分", "本类别平均", "与平均差值"],
            ["{%tr for d in dimensions %}", "", "", "", ""],
            [
                "<left>{{ d.name }}",
                "{{ d.full|num }}",
                "{{ d.score|pts }}",
                "{{ d.average|pts }}",
                "{{ d.diff|signed }}",
            ],
            ["{%tr endfor %}", "", "", "", ""],
        ],
    )
    p(doc, "注：分项得分为各维度指标得分之和（折算前）。", "公文表注")
    p(doc, "{%p if chart %}", "公文正文")
    chart_par = p(doc, "{{ chart }}", "公文表格")
    chart_par.paragraph_format.keep_with_next = True
    p(doc, "图　本单位各维度得分与本类别平均对比", "公文表题")
    p(doc, "{%p endif %}", "公文正文")
    p(doc, "三、指标得分明细", "公文一级标题")
    table(
        doc,
        [12, 40, 12, 14, 14, 64],
        [
            ["编码", "指标", "分值", "得分", "失分", "计分说明"],
            ["{%tr for i in indicators %}", "", "", "", "", ""],
            [
                "{{ i.code }}",
                "<left>{{ i.name }}",
                "{{ i.points|num }}",
                "{{ i.score|pts }}",
                "{{ i.lost|pts }}",
                "<left>{{ i.explanation }}",
            ],
            ["{%tr endfor %}", "", "", "", "", ""],
        ],
    )
    p(doc, "四、加减分、修正和否决情况", "公文一级标题")
    p(doc, "{%p for line in adjustment_lines %}", "公文正文")
    p(doc, "{{ line }}")
    p(doc, "{%p else %}", "公文正文")
    p(doc, "你单位本年度无加减分、修正和否决事项。")
    p(doc, "{%p endfor %}", "公文正文")
    p(doc, "五、失分较多的指标", "公文一级标题")
    p(doc, "{%p if weakest %}", "公文正文")
    p(
        doc,
        "失分较多的指标为：{% for i in weakest %}{{ i.name }}（失{{ i.lost|pts }}分）{% if not loop.last %}、{% endif %}{% endfor %}。请对照分析原因，制定整改措施。",
    )
    p(doc, "{%p else %}", "公文正文")
    p(doc, "你单位各项指标均未失分。")
    p(doc, "{%p endif %}", "公文正文")
    p(doc, "如对考核结果有异议，请于收到本反馈单之日起10个工作日内向{{ issuer }}提出书面复核申请。")
    signature_block(doc)
    doc.save(path)


def build_yearbook(path: Path) -> None:
    doc = new_document()
    set_core(doc, "{{ doc_title }}", "{{ title }}")
    p(doc, "{{ doc_title }}", "公文标题")
    p(doc, "", "Normal")
    p(doc, "{{ intro }}")
    p(doc, "{%p for t in tables %}", "公文正文")
    p(doc, "{{ t.number }}　{{ t.title }}", "公文表题")
    p(doc, "{% if t.unit %}单位：{{ t.unit }}{% endif %}", "公文表单位")
    table(
        doc,
        [44, FLEX, FLEX, FLEX],
        [
            ["{{ t.stub }}", "{%tc for y in t.years %}", "{{ y }}", "{%tc endfor %}"],
            ["{%tr for r in t.rows %}", "", "", ""],
            ["<left>{{ r.label }}", "{%tc for v in r.cells %}", "<right>{{ v }}", "{%tc endfor %}"],
            ["{%tr endfor %}", "", "", ""],
        ],
        three_line=True,
    )
    p(doc, "{%p for n in t.notes %}", "公文表注")
    p(doc, "{{ n }}", "公文表注")
    p(doc, "{%p endfor %}", "公文表注")
    p(doc, "资料来源：{{ t.source }}", "公文表注")
    p(doc, "", "Normal")
    p(doc, "{%p endfor %}", "公文正文")
    doc.save(path)


def fix_zip_times(path: Path) -> None:
    """Rewrite the zip with fixed member times, so an unchanged template stays byte-identical."""
    with zipfile.ZipFile(path) as z:
        members = [(info.filename, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), blob, zipfile.ZIP_DEFLATED)


def main(out: Path = OUT) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, builder in (
        ("bulletin.docx", build_bulletin),
        ("letter.docx", build_letter),
        ("yearbook.docx", build_yearbook),
    ):
        builder(out / name)
        fix_zip_times(out / name)
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
