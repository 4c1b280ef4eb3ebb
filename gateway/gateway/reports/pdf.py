"""The Official Course Transcript and the Compliance Report as PDF (fpdf2).

US Letter, large type (13 pt text, 12 pt tables), few columns: the PDFs are mostly read on a
phone. Every page names the person and their IL number in its header and footer, so a page on
its own still says whose it is. DejaVu Sans is embedded (subset) so accented and non-Latin names
print as written; the core PDF fonts know Latin-1 only.

The Compliance Report carries its verification code three ways: printed large (to type), as a
link, and as a QR code (a PNG made by segno) pointing at `<HUB_PUBLIC_URL>/verify/<code>`.
"""
from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, XPos, YPos

from common.clock import hub_timezone
from common.contracts.rosters import MyClassificationsOut, RecordOut
from common.contracts.training import CompletionOut, TranscriptOut

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
BODY, SMALL, TABLE, HEADING, TITLE = 13, 10, 12, 16, 22

INK = (33, 37, 41)
MUTED = (88, 96, 105)
RULE = (200, 205, 210)
HEAD_FILL = (234, 238, 242)
COLOURS = {"ok": (26, 127, 55), "warn": (154, 103, 0), "bad": (207, 34, 46),
           "pending": (9, 105, 218), "progress": (88, 96, 105)}
# the same colour words as the Portal's badges (gateway.pages.portal.STATUS_LOOK)
STATUS_COLOUR = {"compliant": "ok", "approaching_deadline": "warn", "not_compliant": "bad",
                 "pending_advancement": "pending", "in_progress_training_eligible": "progress",
                 "in_progress_not_training_eligible": "progress", "closed": "progress"}
SOURCES = {"online": "Online", "in_person": "In person", "employer": "Employer",
           "staff": "Staff entry", "import": "Imported record"}


def us_date(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else "—"


def local_time(instant: datetime) -> str:
    """'03/05/2025 at 10:42 AM PST' on the business's clock (HUB_TIMEZONE)."""
    local = instant.astimezone(hub_timezone())
    return f"{local:%m/%d/%Y} at {local.hour % 12 or 12}:{local:%M %p %Z}"


def person_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or "—"


class HubPDF(FPDF):
    """A Letter page with the document's title, the person's name and IL number on every page."""

    def __init__(self, title: str, name: str, il_number: str | None, issued: str):
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.doc_title, self.name, self.il_number, self.issued = title, name, il_number or "—", issued
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(True, margin=20)
        self.set_title(f"{title}: {name} (IL# {self.il_number})")
        self.set_author("Contract Services · Industry Hub")
        self.set_creator("Industry Hub")
        self.alias_nb_pages()
        self.add_page()

    def header(self):
        self.set_text_color(*MUTED)
        self.set_font(FAMILY, "", SMALL)
        self.cell(0, 5, "Contract Services · Industry Hub", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.set_font(FAMILY, "B", TITLE if self.page_no() == 1 else HEADING)
        self.cell(0, 11 if self.page_no() == 1 else 8, self.doc_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "B", HEADING)
        self.multi_cell(0, 8, f"{self.name}   ·   IL# {self.il_number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RULE)
        self.set_line_width(0.4)
        self.line(self.l_margin, self.get_y() + 1.5, self.w - self.r_margin, self.get_y() + 1.5)
        self.ln(5)
        self.set_font(FAMILY, "", BODY)

    def footer(self):
        self.set_y(-14)
        self.set_font(FAMILY, "", SMALL)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.name} · IL# {self.il_number} · {self.issued} · "
                        f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(*INK)

    # --- building blocks -------------------------------------------------------------------------

    def paragraph(self, text: str, size: int = BODY, bold: bool = False, colour=INK, height: float = 6.5):
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def section(self, text: str):
        if self.will_page_break(30):
            self.add_page()
        self.ln(3)
        self.paragraph(text, size=HEADING, bold=True, height=9)
        self.ln(1)

    def table_of(self, headings: tuple[str, ...], widths: tuple[float, ...], rows: list[list]):
        """rows: lists of cells, each text or (text, colour word)."""
        self.set_font(FAMILY, "", TABLE)
        self.set_draw_color(*RULE)
        with self.table(col_widths=widths, width=self.epw, line_height=6.5, padding=1.6,
                        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
                        cell_fill_mode=TableCellFillMode.NONE, text_align="LEFT") as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for cells in rows:
                row = table.row()
                for cell in cells:
                    if isinstance(cell, tuple):
                        text, colour = cell
                        row.cell(text, style=FontFace(emphasis="BOLD", color=COLOURS[colour]))
                    else:
                        row.cell(str(cell))
        self.ln(2)


# --- the Official Course Transcript ----------------------------------------------------------------

def _completion_row(c: CompletionOut) -> list:
    status = ("Current", "ok") if c.status == "current" else ("Expired", "bad")
    return [f"{c.course_code} — {c.title}", us_date(c.completed_on),
            f"{c.score}%" if c.score is not None else "—",
            SOURCES.get(c.source, c.source), us_date(c.expires_on) if c.expires_on else "Does not expire",
            status]


def transcript_pdf(transcript: dict, name: str, il_number: str | None, issued_on: date) -> bytes:
    """Every course taken: date, score, source, expiry and whether it is current."""
    data = TranscriptOut.model_validate(transcript)
    issued = f"Issued {us_date(issued_on)}"
    pdf = HubPDF("Official Course Transcript", name, il_number, issued)
    pdf.paragraph(f"{issued}. Every Safety Pass and other course on record with Contract Services, "
                  "with its completion date, score, source and expiry.", colour=MUTED)
    pdf.ln(2)
    completions = sorted(data.completions, key=lambda c: (c.completed_on, c.course_code), reverse=True)
    if not completions:
        pdf.paragraph("No course completions on record yet.", bold=True)
    else:
        pdf.table_of(("Course", "Completed", "Score", "Source", "Expires", "Status"),
                     (58, 29, 17, 26, 29, 25), [_completion_row(c) for c in completions])
        current = sum(1 for c in completions if c.status == "current")
        pdf.paragraph(f"{len(completions)} completion{'s' if len(completions) != 1 else ''}, "
                      f"{current} current.", size=SMALL, colour=MUTED)
    return bytes(pdf.output())


# --- the Compliance Report -------------------------------------------------------------------------

def _state(row) -> tuple[str, str]:
    if row.kind == "time_in_group" and row.state == "unmet":
        return "Under way", "pending"
    if row.state == "met":
        return "Met", "ok"
    if row.state == "due":
        return "Due", "warn"
    return "Not met", "bad"


def _record(pdf: HubPDF, record: RecordOut):
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.ln(1)
    pdf.paragraph(record.name, size=14, bold=True, height=7.5)
    pdf.paragraph(f"{record.classification_code} · {record.local_name} · {record.roster}",
                  size=SMALL, colour=MUTED, height=5)
    pdf.set_font(FAMILY, "", BODY)
    pdf.write(7, "Status: ")
    pdf.set_font(FAMILY, "B", BODY)
    pdf.set_text_color(*COLOURS[STATUS_COLOUR.get(record.status, "progress")])
    pdf.write(7, record.label)
    pdf.set_text_color(*INK)
    pdf.ln(7)
    facts = []
    if record.applied_on:
        facts.append(f"Applied {us_date(record.applied_on)}")
    if record.placed_on:
        facts.append(f"Placed {us_date(record.placed_on)}")
    if record.group:
        facts.append(f"Group {record.group}")
    if record.anticipated_advancement_on:
        facts.append(f"Anticipated Advancement Date {us_date(record.anticipated_advancement_on)}")
    if facts:
        pdf.paragraph(" · ".join(facts), size=SMALL, colour=MUTED, height=5.5)
    pdf.ln(1)
    if record.rows:
        pdf.table_of(("Requirement", "State", "Deadline", "Details"), (56, 30, 29, 69),
                     [[row.label, _state(row), us_date(row.due_on) if row.due_on else "—", row.detail]
                      for row in record.rows])
    else:
        pdf.paragraph("No requirements.", size=SMALL, colour=MUTED)


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    # medium error correction survives a creased or smudged printout; 4-module quiet zone
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


def _verification_box(pdf: HubPDF, code: str, url: str, issued: str):
    size, top, left = 42, pdf.get_y(), pdf.l_margin
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.5)
    pdf.rect(left, top, pdf.epw, size + 6)
    pdf.image(_qr_png(url), x=left + 3, y=top + 3, w=size, h=size, alt_text=f"QR code for {url}")
    text_x = left + size + 8
    pdf.set_xy(text_x, top + 4)
    pdf.set_font(FAMILY, "", SMALL)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, "Verification code", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 10, code, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", SMALL)
    pdf.multi_cell(pdf.w - pdf.r_margin - text_x - 2, 5,
                   "Scan the QR code or open this address to see this person's status now:",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*COLOURS["pending"])
    pdf.multi_cell(pdf.w - pdf.r_margin - text_x - 2, 5, url, link=url, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.w - pdf.r_margin - text_x - 2, 5, f"This report was issued {issued}.",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.l_margin, top + size + 10)


def compliance_report_pdf(classifications: dict, transcript: dict, name: str, il_number: str | None,
                          code: str, issued_at: datetime, verify_url: str) -> bytes:
    """Every classification with its status and each requirement's state and deadline, the
    Safety Pass courses held, the issue date, and the code that shows the live status."""
    mine = MyClassificationsOut.model_validate(classifications)
    data = TranscriptOut.model_validate(transcript)
    issued = local_time(issued_at)
    pdf = HubPDF("Compliance Report", name, il_number, f"Issued {issued}")
    pdf.paragraph(f"Issued {issued}, showing the status as of {us_date(mine.as_of)}. Statuses change "
                  "as time passes: the verification code below shows the live status.", colour=MUTED)
    pdf.ln(2)
    _verification_box(pdf, code, verify_url, issued)

    pdf.section("Classifications")
    if not mine.records:
        pdf.paragraph("No classification records.", colour=MUTED)
    for record in mine.records:
        _record(pdf, record)
    if mine.pending:
        pdf.section("Advancing toward")
        for record in mine.pending:
            _record(pdf, record)

    pdf.section("Safety Pass")
    current = sorted((c for c in data.completions if c.status == "current"), key=lambda c: c.course_code)
    if not current:
        pdf.paragraph("No current Safety Pass courses.", colour=MUTED)
    else:
        pdf.table_of(("Course", "Completed", "Expires"), (108, 32, 44),
                     [[f"{c.course_code} — {c.title}", us_date(c.completed_on),
                       us_date(c.expires_on) if c.expires_on else "Does not expire"] for c in current])
    return bytes(pdf.output())
