"""Each feed's columns as its provider sends them, and one row of each layout with plausible defaults."""

from __future__ import annotations

UHDB_COLUMNS = [
    "ATTENDANCE_ID",
    "SITE",
    "UNIT",
    "ARRIVAL_DTTM",
    "DEPARTURE_DTTM",
    "ARRIVAL_MODE",
    "ACUITY",
    "DTA_DTTM",
    "DISCHARGE_DEST",
    "AGE_BAND",
    "NHS_NUMBER",
]


CRH_COLUMNS = [
    "Attendance Ref",
    "Department",
    "Arrival Date Time",
    "Departure Date Time",
    "Mode of Arrival",
    "Triage Category",
    "Outcome",
    "Age Group",
]


def crh_row(record_id: str, arrival: str, departure: str = "") -> dict[str, str]:
    """A CRH-layout row: Chesterfield ED, walked in, discharged; times 'DD/MM/YYYY HH:MM'."""
    return {
        "Attendance Ref": record_id,
        "Department": "Emergency Department",
        "Arrival Date Time": arrival,
        "Departure Date Time": departure,
        "Mode of Arrival": "Walk in",
        "Triage Category": "3",
        "Outcome": "Discharged" if departure else "",
        "Age Group": "18-64",
    }


EMAS_COLUMNS = ["Incident Number", "Hospital", "Category", "Arrived At Hospital", "Handover Complete", "Vehicle Clear"]
SITREP_COLUMNS = [
    "Period",
    "Org Code",
    "All handovers",
    "Handover time known",
    "Over 15 minutes",
    "Over 30 minutes",
    "Over 45 minutes",
    "Over 60 minutes",
    "Handover time unknown",
    "Total hours",
    "Mean (minutes)",
]


DCHS_COLUMNS = ["Activity Date", "Unit Code", "Department Type", "Total Attendances", "Over 4 Hours", "Over 12 Hours"]


def dchs_row(day: str, unit: str, attendances: int, over_4h: int, over_12h: int, dept_type: str = "03") -> dict:
    """A DCHS daily-aggregate row; day 'DD/MM/YYYY'."""
    counts = (attendances, over_4h, over_12h)
    return dict(zip(DCHS_COLUMNS, (day, unit, dept_type, *(str(c) for c in counts)), strict=True))


DHU_COLUMNS = [
    "CaseRef",
    "Source",
    "Received",
    "FirstClinicalContact",
    "Outcome",
    "AmbDispatched",
    "Automated",
    "DispositionBand",
]


def dhu_row(
    case: str,
    source: str,
    received: str,
    contact: str,
    outcome: str,
    dispatched: str = "N",
    automated: str = "0",
    band: str = "",
) -> dict[str, str]:
    """A DHU-layout hub case; times as 'YYYY-MM-DDTHH:MM:SS' Europe/London wall-clock."""
    return {
        "CaseRef": case,
        "Source": source,
        "Received": received,
        "FirstClinicalContact": contact,
        "Outcome": outcome,
        "AmbDispatched": dispatched,
        "Automated": automated,
        "DispositionBand": band,
    }


OPEL_COLUMNS = [
    "Organisation Code",
    "OPEL Date",
    "Submitted",
    "OPEL Level",
    "Comment",
    "Mean Handover (mins)",
    "4hr Performance %",
    "Attendance Variation %",
    "Majors/Resus Occupancy %",
    "Median Time to Treatment (mins)",
    "% >12hrs in ED",
    "G&A Bed Occupancy %",
    "Escalation Beds %",
    "NCTR %",
]


def opel_row(org: str, opel_date: str, submitted: str, level: int, **parameters: str) -> dict[str, str]:
    """A portal-layout submission; dates 'DD/MM/YYYY', times 'DD/MM/YYYY HH:MM:SS' local wall-clock."""
    row = {c: "" for c in OPEL_COLUMNS}
    row.update(
        {"Organisation Code": org, "OPEL Date": opel_date, "Submitted": submitted, "OPEL Level": f"OPEL {level}"}
    )
    row.update(parameters)
    return row


def emas_row(
    incident: str, arrival: str, handover: str = "", clear: str = "", hospital: str = "RDH", category: str = "Cat2"
) -> dict[str, str]:
    """An EMAS-layout conveyance; times as 'DD-Mon-YYYY HH:MM:SS' Europe/London wall-clock."""
    return {
        "Incident Number": incident,
        "Hospital": hospital,
        "Category": category,
        "Arrived At Hospital": arrival,
        "Handover Complete": handover,
        "Vehicle Clear": clear,
    }


def uhdb_row(record_id: str, arrival: str, departure: str = "", **overrides: str) -> dict[str, str]:
    """A UHDB-layout row: adult ED at Royal Derby, walked in, discharged home unless overridden."""
    row = {
        "ATTENDANCE_ID": record_id,
        "SITE": "RDH",
        "UNIT": "AED",
        "ARRIVAL_DTTM": arrival,
        "DEPARTURE_DTTM": departure,
        "ARRIVAL_MODE": "2",
        "ACUITY": "3",
        "DTA_DTTM": "",
        "DISCHARGE_DEST": "HOM" if departure else "",
        "AGE_BAND": "18-64",
        "NHS_NUMBER": "",
    }
    row.update(overrides)
    return row
