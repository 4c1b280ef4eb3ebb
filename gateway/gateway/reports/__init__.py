"""What people take away (seed 003): the Official Course Transcript and the Compliance Report as
PDFs (fpdf2), the report with a verification code and its QR code (segno)."""
from gateway.reports.pdf import compliance_report_pdf, transcript_pdf

__all__ = ["compliance_report_pdf", "transcript_pdf"]
