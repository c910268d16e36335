"""Place a published row's organisation: a trust by its ODS code, or the England or region total it is.

NHS England prints totals with no code ('-' or empty) and a name; the warehouse keys them (schemas/national_columns.py):
'ENG' for England (all acute trusts), 'ENG-T1' for England's type 1 acute trusts, the region's name in capitals.
"""

from __future__ import annotations

import polars as pl

# Total rows' names as published (upper case, spaces squeezed) -> org_code.
ENGLAND_NAMES = {
    "ENGLAND": "ENG",
    "ENGLAND (ALL ACUTE TRUSTS)": "ENG",
    "ENGLAND (TYPE 1 ACUTE TRUSTS)": "ENG-T1",
}
# NHS England's seven regions since April 2020 (and the names some earlier files used for theirs).
REGIONS = (
    "EAST OF ENGLAND",
    "LONDON",
    "MIDLANDS",
    "NORTH EAST AND YORKSHIRE",
    "NORTH WEST",
    "SOUTH EAST",
    "SOUTH WEST",
    "NORTH OF ENGLAND",
    "MIDLANDS AND EAST OF ENGLAND",
    "SOUTH OF ENGLAND",
)
# An ODS organisation code: three to six capitals and digits (trusts are three, e.g. RTG, R0A; the monthly A&E
# return also lists GP-led walk-in centres and urgent treatment centres under six, e.g. Y02696, C82009).
ODS_CODE = r"^[A-Z0-9]{3,6}$"
UNPLACED = "organisation not recognised: neither an ODS code nor an England or region total's name"


def place(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with org_code and org_level set (both null where the row names no organisation we can place).

    Reads the published `org_code` ('-' already read as empty), `org_name` and `region`; a region total's
    `region` is its own name.
    """
    code = pl.col("org_code").str.strip_chars().str.to_uppercase()
    name = pl.col("org_name").str.strip_chars().str.to_uppercase().str.replace_all(r"\s+", " ")
    # A total is told by its name: some editions print a region's own code (Y60 for Midlands) beside it.
    # A file that prints no name (the monthly A&E return): null is not a total's name, so the code decides.
    total = (code.is_null() | (code == "-") | name.is_in(list(ENGLAND_NAMES)) | name.is_in(REGIONS)).fill_null(False)
    england = name.replace_strict(ENGLAND_NAMES, default=None, return_dtype=pl.Utf8)
    region = pl.when(name.is_in(REGIONS)).then(name)
    trust = pl.when(~total & code.str.contains(ODS_CODE)).then(code)
    placed_code = pl.when(total).then(pl.coalesce(england, region)).otherwise(trust)
    level = (
        pl.when(placed_code.is_null())
        .then(None)
        .when(~total)
        .then(pl.lit("trust"))
        .when(england.is_not_null())
        .then(pl.lit("england"))
        .otherwise(pl.lit("region"))
    )
    # A region total belongs to itself; England's totals to no region.
    own_region = pl.when(total & england.is_null() & region.is_not_null()).then(pl.col("org_name").str.strip_chars())
    return frame.with_columns(
        placed_code.alias("org_code"),
        level.alias("org_level"),
        pl.when(total & england.is_not_null())
        .then(None)
        .otherwise(pl.coalesce(pl.col("region"), own_region))
        .alias("region"),
    )
