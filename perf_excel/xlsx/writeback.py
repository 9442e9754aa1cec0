"""Writing 结果 and 计分明细 back into the source workbook (``perf-excel score --write-back``).

The workbook is not loaded and re-saved by a spreadsheet library: that would drop
what the library does not understand (charts, form buttons, slicers) and the cached
values of every formula. Instead the two sheets are spliced into the package: their
XML parts are written (or replaced), the workbook's sheet list, relationships and
content types get one entry each, and a few cell styles are appended to styles.xml.
Every other part of the file, including the VBA project of an .xlsm, is copied byte
for byte.

Safety: a workbook open in Excel (its ``~$`` lock file is present, or the file cannot
be replaced) is left untouched with a clear message; the new file is written to a
temporary file in the same folder and moved into place only when complete; the
previous version is kept as ``<name>.bak``.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perf_excel.core.assess import Results
from perf_excel.core.errors import OutputError
from perf_excel.files.outputs import backup_path, replace_with_backup
from perf_excel.xlsx import package as ooxml
from perf_excel.xlsx.sheets import DETAIL_LONG_LIMIT, REL_NS, Styles, add_styles, result_sheets

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = ["backup_path", "lock_file", "replace_with_backup", "splice_sheets", "write_back"]

_WS_TYPE = REL_NS + "/worksheet"
_WS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def lock_file(path: Path) -> Path | None:
    """Excel's lock file for ``path`` (``~$name.xlsx``) if one exists, else None.

    Excel names it ``~$`` + the file name, dropping the first two characters of long names.
    """
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


# --- package -----------------------------------------------------------------
def splice_sheets(
    source: Mapping[str, bytes], make_sheets: Callable[[Styles], Mapping[str, Iterable[str]]]
) -> dict[str, bytes | Iterable[str]]:
    """The package's parts with the sheets of ``make_sheets`` written in (a sheet of the same name is
    replaced); other parts are left alone. ``make_sheets`` gets the styles added to styles.xml."""
    parts = dict(source)
    wb_path = ooxml.main_part(parts)
    wb_dir = wb_path.rsplit("/", 1)[0] if "/" in wb_path else ""
    rels_path = ooxml.rels_path(wb_path)
    workbook = parts[wb_path].decode("utf-8")
    rels = parts[rels_path].decode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")

    rel_list = ooxml.relationships(parts[rels_path])
    styles_path = None
    for rel in rel_list:
        if rel.type.endswith("/styles") and not rel.external:
            styles_path = ooxml.resolve(wb_dir, rel.target)
    first_xf = None
    if styles_path and styles_path in parts:
        styles_xml, first_xf = add_styles(parts[styles_path].decode("utf-8"))
        if first_xf is not None:
            parts[styles_path] = styles_xml.encode("utf-8")
    styles = Styles(first_xf)

    # The sheet list is parsed as XML: ``<sheet …></sheet>`` is a sheet as much as ``<sheet …/>``,
    # and missing one would add a second 结果 beside the old.
    rel_targets = {rel.id: ooxml.resolve(wb_dir, rel.target) for rel in rel_list if not rel.external}
    sheets = ooxml.workbook_sheets(parts[wb_path])
    by_name = {}
    for index, sheet in enumerate(sheets):
        by_name.setdefault(sheet.name, (index, rel_targets.get(sheet.rid)))
    sheet_ids = [int(s.sheet_id) if s.sheet_id.strip().isdigit() else 0 for s in sheets]
    next_id = max(sheet_ids, default=0) + 1
    next_index = len(sheets)
    existing_parts = {p.lower() for p in parts}
    n_part = 1
    rel_ids = {rel.id for rel in rel_list}
    new_sheet_tags, new_rels, new_types, titles, new_names = [], [], [], [], []
    for name, xml in make_sheets(styles).items():
        if name in by_name:
            part = by_name[name][1]
            if part not in parts:
                raise ValueError(f"sheet {name} points to a missing part")
            parts[part] = xml
            # The old sheet's drawings or comments belong to the old content.
            old_rels = f"{part.rsplit('/', 1)[0]}/_rels/{part.rsplit('/', 1)[1]}.rels"
            parts.pop(old_rels, None)
            continue
        while f"{wb_dir}/worksheets/sheet{n_part}.xml".lstrip("/").lower() in existing_parts:
            n_part += 1
        part = f"{wb_dir}/worksheets/sheet{n_part}.xml".lstrip("/")
        existing_parts.add(part.lower())
        rid = "rIdPerf1"
        k = 1
        while rid in rel_ids:
            k += 1
            rid = f"rIdPerf{k}"
        rel_ids.add(rid)
        parts[part] = xml
        target = part[len(wb_dir) + 1 :] if wb_dir else part
        new_rels.append(f'<Relationship Id="{rid}" Type="{_WS_TYPE}" Target="{target}"/>')
        new_types.append(f'<Override PartName="/{part}" ContentType="{_WS_CONTENT}"/>')
        new_sheet_tags.append(f'<sheet xmlns:r="{REL_NS}" name="{name}" sheetId="{next_id}" r:id="{rid}"/>')
        new_names.append(name)
        titles.append(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{next_index}">\'{name}\'!$1:$1</definedName>'
        )
        next_id += 1
        next_index += 1
    if new_sheet_tags:
        workbook = _insert_sheets(workbook, new_sheet_tags, titles)
        # The splice is text; what Excel will read is XML: it must hold exactly the old sheets and the new.
        if [s.name for s in ooxml.workbook_sheets(workbook.encode("utf-8"))] != [s.name for s in sheets] + new_names:
            raise ValueError("workbook.xml did not take the new sheets")
        rels = rels.replace("</Relationships>", "".join(new_rels) + "</Relationships>")
        types = types.replace("</Types>", "".join(new_types) + "</Types>")
        parts[wb_path] = workbook.encode("utf-8")
        parts[rels_path] = rels.encode("utf-8")
        parts["[Content_Types].xml"] = types.encode("utf-8")
    return parts


def _insert_sheets(workbook: str, sheet_tags: Sequence[str], titles: Sequence[str]) -> str:
    m = re.search(r"</([\w.-]+:)?sheets\s*>", workbook)
    if not m:
        raise ValueError("workbook.xml has no <sheets>")
    prefix = m.group(1) or ""
    if prefix:
        sheet_tags = [t.replace("<sheet ", f"<{prefix}sheet ") for t in sheet_tags]
        titles = [t.replace("<definedName", f"<{prefix}definedName").replace("</definedName", f"</{prefix}definedName")
                  for t in titles]  # fmt: skip
    workbook = workbook[: m.start()] + "".join(sheet_tags) + workbook[m.start() :]
    close = re.search(rf"</{prefix}definedNames\s*>", workbook)
    if close:
        return workbook[: close.start()] + "".join(titles) + workbook[close.start() :]
    after = re.search(rf"</{prefix}externalReferences\s*>", workbook) or re.search(rf"</{prefix}sheets\s*>", workbook)
    block = f"<{prefix}definedNames>" + "".join(titles) + f"</{prefix}definedNames>"
    return workbook[: after.end()] + block + workbook[after.end() :]


def write_back(results: Results, path: str | os.PathLike, anomalies: Sequence[Anomaly] | None = None) -> Path:
    """Write 结果 and 计分明细 into the workbook at ``path``, keeping everything else.

    With ``anomalies`` (even none), the 数据异动预警 sheet is written (or replaced) as well.

    Returns the backup path. Raises :class:`OutputError` (nothing changed) if the
    workbook is open in Excel, read-only, or cannot be written.
    """
    target = Path(path)
    lock = lock_file(target)
    if lock is not None:
        raise OutputError(
            f"{target.name}：工作簿正在 Excel 中打开（发现锁定文件 {lock.name}），请保存并关闭后重试；文件未做任何改动"
        )
    try:
        with zipfile.ZipFile(target) as zin:
            infos = zin.infolist()
            source = {i.filename: zin.read(i) for i in infos}
    except (OSError, zipfile.BadZipFile) as exc:
        raise OutputError(f"{target.name}：无法读取工作簿以写回结果（{exc}）；文件未做任何改动") from None
    try:
        parts = splice_sheets(source, lambda styles: result_sheets(results, styles, anomalies, DETAIL_LONG_LIMIT))
    except (KeyError, ValueError, UnicodeDecodeError):
        raise OutputError(
            f"{target.name}：工作簿结构不常见，无法安全写回；文件未做任何改动，请改用 {{option}} 输出到单独的结果工作簿",
            option="output",
        ) from None

    def write(tmp: Path) -> None:
        ooxml.write_package(tmp, parts, infos, source)

    return replace_with_backup(target, write, "写回")
