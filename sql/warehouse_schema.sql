-- purpose: create the warehouse's schemas and tables if they do not exist (safe to run every time)
create schema if not exists ref;
create schema if not exists raw;
create schema if not exists ops;
create schema if not exists marts;

create table if not exists ref.sites (
    site_code varchar primary key,
    site_name varchar not null,
    trust_code varchar not null,
    trust_name varchar not null,
    system_code varchar not null,
    system_name varchar not null,
    ods_checked varchar
);

-- The trusts whose sites make a system's headline ED figure (the figure its board reports); a system with none
-- listed has no headline row, only the all-providers figure.
create table if not exists ref.system_headline (
    system_code varchar not null,
    trust_code varchar not null,
    figure_name varchar not null,
    primary key (system_code, trust_code)
);

create table if not exists ref.targets (
    metric varchar not null,
    effective_from date not null,
    effective_to date,
    value_pct double not null,
    direction varchar not null,
    description varchar,
    source varchar
);

-- Every valid version of every attendance, as received; raw.ed_attendances_current picks the latest.
create table if not exists raw.ed_attendances (
    partition_date date not null,
    provider_code varchar not null,
    record_id varchar not null,
    site_code varchar not null,
    department_code varchar,
    -- Null when the provider's code is not in its layout's mapping: the attendance still counts (brief 7.2).
    department_type tinyint,
    arrival_at timestamp not null,
    arrival_utc timestamp not null,
    departure_at timestamp,
    departure_utc timestamp,
    arrival_mode varchar not null,
    acuity tinyint,
    decision_to_admit_at timestamp,
    decision_to_admit_utc timestamp,
    disposal varchar,
    age_band varchar,
    patient_key varchar,
    extracted_at_utc timestamp not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_row integer not null
);

-- Warehouses built when an unknown department type quarantined the attendance.
alter table raw.ed_attendances alter column department_type drop not null;

create table if not exists ops.source_files (
    feed varchar not null,
    provider_code varchar not null,
    partition_date date not null,
    file_name varchar not null,
    path varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    received_at_utc timestamp not null,
    extracted_at_utc timestamp not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    unexpected_columns varchar,
    -- NHS numbers removed from the file's free-text columns before storage (brief 7.4).
    nhs_numbers_removed bigint not null default 0
);
-- The key the warehouse's patient keys were made with, as a fingerprint (an HMAC of a fixed label, never
-- the key): one row, written by the first run that hashes with a key; a run with another key stops.
create table if not exists ops.pseudonymisation_key (
    fingerprint varchar not null,
    recorded_at timestamp not null
);

-- Warehouses built before free text was scrubbed gain the column.
alter table ops.source_files add column if not exists nhs_numbers_removed bigint default 0;
-- The layout's rules the file was read under (brief 7.1): whether a later file for its day replaces the day's set
-- ("full") or only adds and updates ("incremental"), and how far apart two versions of an id may be placed.
alter table ops.source_files add column if not exists resend varchar default 'incremental';
alter table ops.source_files add column if not exists identity_window_hours double default 12;
-- Brief 7.1 and 7.2: rows repeating an earlier row of the file (counted once), and rows loaded with a
-- value set to unknown (within rows_loaded). rows_read = rows_loaded + rows_quarantined + rows_duplicate.
alter table ops.source_files add column if not exists rows_duplicate bigint default 0;
alter table ops.source_files add column if not exists rows_with_unknown_values bigint default 0;

-- One row per file that could not be read at all (empty, wrong layout, not CSV or a workbook): its
-- provider's day keeps whatever was loaded before, and the raw asset's check fails naming it.
create table if not exists ops.rejected_files (
    feed varchar not null,
    provider_code varchar not null,
    partition_date date not null,
    file_name varchar not null,
    path varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    received_at_utc timestamp not null,
    reason varchar not null
);

-- One row per file byte-identical (same sha256) to another file for the same feed, provider and day:
-- recorded so the re-send is visible, never loaded twice.
create table if not exists ops.duplicate_files (
    feed varchar not null,
    provider_code varchar not null,
    partition_date date not null,
    file_name varchar not null,
    sha256 varchar not null,
    duplicate_of varchar not null
);

-- Days of a daily mart to rebuild because a run loaded records placed on them from another day's files (brief
-- 7.1: a record counts on its own day, whichever file carries it). Written with the raw rows, in their
-- transaction; the mart's next run rebuilds the days and clears them.
create table if not exists ops.marts_to_rebuild (
    mart varchar not null,
    day date not null,
    feed varchar not null,
    partition_date date not null
);

-- One row per failing cell; a source row with two problems appears twice, with one reason each.
create table if not exists ops.quarantine (
    feed varchar not null,
    provider_code varchar not null,
    partition_date date not null,
    file_name varchar not null,
    sha256 varchar not null,
    source_row integer not null,
    column_name varchar,
    source_column varchar,
    reason varchar not null,
    value varchar,
    record varchar
);
-- 'record quarantined' (the row was not loaded) or 'value set to unknown' (it was, without this value;
-- brief 7.2). Rows quarantined before the column existed were all whole records.
alter table ops.quarantine add column if not exists action varchar default 'record quarantined';
-- The record's id as the row gave it (feeds with an identity): a full re-send's failing row withdraws nothing, and
-- the earlier valid version it names keeps counting (brief 7.1, 7.2).
alter table ops.quarantine add column if not exists record_key varchar;

-- One row per row of a file identical in every field to an earlier row of the same file: one record sent
-- twice, counted once (brief 7.1); the copy is neither loaded nor quarantined.
create table if not exists ops.duplicate_rows (
    feed varchar not null,
    provider_code varchar not null,
    partition_date date not null,
    file_name varchar not null,
    sha256 varchar not null,
    source_row integer not null,
    duplicate_of_row integer not null
);

-- No primary key: department_type is null for attendances whose type is unknown, and a key column cannot be;
-- check_mart_key_unique holds (date, site_code, department_type) unique, nulls as one value.
create table if not exists marts.ed_four_hour_daily (
    date date not null,
    trust_code varchar not null,
    site_code varchar not null,
    department_type tinyint,
    attendances bigint not null,
    within_4h bigint not null,
    breaches bigint not null,
    pending bigint not null,
    over_12h bigint not null,
    pct_within_4h double,
    pct_over_12h double,
    -- Where the counts came from: 'patient_level' (raw.ed_attendances) or 'aggregate' (raw.ed_daily_aggregates).
    source varchar not null default 'patient_level'
);
-- Warehouses built before daily aggregates were accepted gain the column; their rows were all patient level.
alter table marts.ed_four_hour_daily add column if not exists source varchar default 'patient_level';

-- Daily counts per site and department type from providers that cannot send attendances (brief 2.2);
-- raw.ed_daily_aggregates_current picks the latest file's row for each site, day and type.
create table if not exists raw.ed_daily_aggregates (
    partition_date date not null,
    provider_code varchar not null,
    date date not null,
    site_code varchar not null,
    department_type tinyint not null,
    attendances bigint not null,
    over_4h bigint not null,
    over_12h bigint not null,
    extracted_at_utc timestamp not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_row integer not null
);

-- Every valid version of every conveyance from EMAS; raw.ambulance_handovers_current picks the latest.
create table if not exists raw.ambulance_handovers (
    partition_date date not null,
    provider_code varchar not null,
    incident_id varchar not null,
    site_code varchar not null,
    call_category varchar not null,
    arrival_at timestamp not null,
    arrival_utc timestamp not null,
    handover_at timestamp,
    handover_utc timestamp,
    clear_at timestamp,
    clear_utc timestamp,
    extracted_at_utc timestamp not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_row integer not null
);

-- Daily counts per site where a trust sends only NHS England's published ambulance-collection layout.
create table if not exists raw.handover_sitrep (
    partition_date date not null,
    provider_code varchar not null,
    date date not null,
    site_code varchar not null,
    all_handovers bigint not null,
    known bigint not null,
    unknown bigint not null,
    over_15 bigint not null,
    over_30 bigint not null,
    over_45 bigint,
    over_60 bigint not null,
    total_hours double,
    mean_minutes double,
    extracted_at_utc timestamp not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_row integer not null
);

-- Columns a source cannot support are null, never zero; `source` says where the row came from.
create table if not exists marts.handover_daily (
    date date not null,
    trust_code varchar not null,
    site_code varchar not null,
    source varchar not null,
    arrivals bigint not null,
    known bigint not null,
    unknown bigint not null,
    over_15 bigint not null,
    over_30 bigint not null,
    over_45 bigint,
    over_60 bigint not null,
    pct_over_15 double,
    pct_over_30 double,
    pct_over_45 double,
    pct_over_60 double,
    pct_unknown double,
    total_minutes double,
    hours_lost double,
    hours_lost_over_60 double,
    mean_minutes double,
    p90_minutes double,
    p95_minutes double,
    mean_turnaround_minutes double,
    mean_handover_to_clear_minutes double,
    primary key (date, site_code)
);

-- Every valid version of every hub case from DHU; raw.cnh_cases_current picks the latest.
create table if not exists raw.cnh_cases (
    partition_date date not null,
    provider_code varchar not null,
    case_id varchar not null,
    referral_source varchar not null,
    call_before_convey boolean,
    received_at timestamp not null,
    received_utc timestamp not null,
    first_contact_at timestamp,
    first_contact_utc timestamp,
    outcome varchar not null,
    ambulance_dispatched boolean,
    automated boolean,
    disposition_band varchar,
    extracted_at_utc timestamp not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_row integer not null
);

-- A yes/no the hub's file gets wrong is unknown (brief 7.2), so older warehouses let it be null.
alter table raw.cnh_cases alter column ambulance_dispatched drop not null;
alter table raw.cnh_cases alter column automated drop not null;

-- Deflection applies to ambulance-stack sources only; elsewhere those columns are null, not zero.
create table if not exists marts.cnh_deflection_daily (
    date date not null,
    referral_source varchar not null,
    is_ambulance_stack boolean not null,
    cases bigint not null,
    dispatched bigint not null,
    returned_to_stack bigint not null,
    dispatches_avoided bigint,
    deflection_rate double,
    responded bigint not null,
    total_response_minutes double,
    mean_response_minutes double,
    within_30_min bigint not null,
    pct_within_30_min double,
    automated bigint not null,
    pct_automated double,
    call_before_convey bigint not null,
    to_own_gp bigint not null,
    to_utc_pcc bigint not null,
    home_self_care bigint not null,
    to_ed bigint not null,
    community_pathway bigint not null,
    pct_own_gp double,
    pct_utc_pcc double,
    pct_home_self_care double,
    pct_ed double,
    pct_community_pathway double,
    avoided_hospital bigint,
    pct_avoided_hospital double,
    primary key (date, referral_source)
);

create table if not exists ref.providers (
    provider_code varchar primary key,
    provider_name varchar not null,
    role varchar not null,
    system_code varchar not null,
    submits_opel varchar not null
);

-- OPEL scoring configuration, loaded from schemas/reference/opel.yaml (LOCAL PLACEHOLDER values).
create table if not exists ref.opel_parameters (
    parameter varchar primary key,
    weight double not null,
    direction varchar not null,
    bound_1 double not null,
    bound_2 double not null,
    bound_3 double not null
);

create table if not exists ref.opel_bands (
    scope varchar not null,
    level tinyint not null,
    max_score double not null
);

create table if not exists ref.opel_system_weights (
    provider_code varchar primary key,
    weight double not null
);

-- Every OPEL submission as received (audit): a provider may submit several times a day.
create table if not exists raw.opel_submissions (
    partition_date date not null,
    provider_code varchar not null,
    org_code varchar not null,
    date date not null,
    submitted_at timestamp not null,
    submitted_utc timestamp not null,
    declared_level tinyint not null,
    comment varchar,
    mean_handover_minutes double,
    ed_4h_pct double,
    ed_attendance_variation_pct double,
    majors_resus_occupancy_pct double,
    median_time_to_treatment_minutes double,
    pct_over_12h_in_ed double,
    adult_ga_bed_occupancy_pct double,
    escalation_beds_pct double,
    no_criteria_to_reside_pct double,
    extracted_at_utc timestamp not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_row integer not null
);

create table if not exists marts.opel_daily (
    date date not null,
    provider_code varchar not null,
    role varchar not null,
    submissions bigint not null,
    declared_level tinyint,
    submitted_at timestamp,
    is_late boolean not null,
    is_missing boolean not null,
    changed_during_day boolean not null,
    comment varchar,
    derived_score double,
    derived_level tinyint,
    parameters_scored bigint,
    level_gap tinyint,
    ed_4h_pct_submitted double,
    ed_4h_pct_pipeline double,
    pct_over_12h_submitted double,
    pct_over_12h_pipeline double,
    mean_handover_submitted double,
    mean_handover_pipeline double,
    changed_to_level tinyint,
    changed_at timestamp,
    primary key (date, provider_code)
);
-- Brief 7.3's "changed after 11:00, and to what", for warehouses made before it.
alter table marts.opel_daily add column if not exists changed_to_level tinyint;
alter table marts.opel_daily add column if not exists changed_at timestamp;

-- Why a derived level is what it is: one row per provider, day and parameter scored.
create table if not exists marts.opel_parameter_scores (
    date date not null,
    provider_code varchar not null,
    parameter varchar not null,
    value double not null,
    level tinyint not null,
    weight double not null,
    contribution double not null
);

create table if not exists marts.opel_system_daily (
    date date not null,
    system_code varchar not null,
    providers_expected bigint not null,
    providers_declared bigint not null,
    providers_missing varchar,
    system_score double,
    system_level tinyint,
    primary key (date, system_code)
);
