-- purpose: the floor: plain DuckDB reads the same CSVs and computes the marts' headline aggregates, with no validation, quarantine or lineage
create temp table ed as
with uhdb as (
    -- A site is its sender's folder and its own code: the same grain as the marts, without the layout's lookup.
    select ATTENDANCE_ID as id, regexp_extract(filename, '([^/]+)/[^/]+$', 1) || ':' || SITE as site_code,
           try_strptime(ARRIVAL_DTTM, '%Y-%m-%d %H:%M:%S') as arrival, try_strptime(DEPARTURE_DTTM, '%Y-%m-%d %H:%M:%S') as departure,
           filename
    from read_csv($uhdb, all_varchar = true, filename = true)
),
crh as (
    select "Attendance Ref" as id, 'RFSDA' as site_code,
           try_strptime("Arrival Date Time", '%d/%m/%Y %H:%M') as arrival, try_strptime("Departure Date Time", '%d/%m/%Y %H:%M') as departure,
           filename
    -- CRH writes Windows-1252, which DuckDB has no built-in reader for: floor.py hands it over decoded.
    from crh_files
),
latest as (
    -- The latest extract of each record wins, as in the pipeline.
    select * from (select * from uhdb union all select * from crh)
    qualify row_number() over (partition by site_code, id order by filename desc) = 1
)
select arrival::date as date, site_code, count(*) as attendances,
       count(*) filter (where date_diff('minute', arrival, departure) <= 240) as within_4h,
       count(*) filter (where date_diff('minute', arrival, departure) > 720) as over_12h
from latest group by all;

create temp table handovers as
with emas as (
    select "Incident Number" as id, Hospital as hospital,
           strptime("Arrived At Hospital", '%d-%b-%Y %H:%M:%S') as arrival,
           try_strptime("Handover Complete", '%d-%b-%Y %H:%M:%S') as handover, filename
    from read_csv($emas, all_varchar = true, filename = true)
    qualify row_number() over (partition by regexp_extract(filename, '([^/]+)/[^/]+$', 1), "Incident Number" order by filename desc) = 1
)
select arrival::date as date, hospital, count(*) as arrivals,
       sum(greatest(date_diff('second', arrival, handover) / 60 - 15, 0)) / 60 as hours_lost,
       avg(date_diff('second', arrival, handover) / 60) as mean_minutes,
       count(*) filter (where date_diff('second', arrival, handover) > 45 * 60) as over_45
from emas where handover is not null group by all;

create temp table deflection as
with dhu as (
    select CaseRef as id, Source as source, strptime(Received, '%Y-%m-%dT%H:%M:%S') as received, AmbDispatched as dispatched,
           Outcome as outcome, filename
    from read_csv($dhu, all_varchar = true, filename = true)
    qualify row_number() over (partition by regexp_extract(filename, '([^/]+)/[^/]+$', 1), CaseRef order by filename desc) = 1
)
select received::date as date, count(*) as cases,
       count(*) filter (where dispatched = 'N' and outcome <> 'RETURN STACK') as avoided,
       100.0 * count(*) filter (where dispatched = 'N' and outcome <> 'RETURN STACK') / count(*) as deflection_rate
from dhu where source in ('EMAS C3C4', '111O C3C4') group by all;

create temp table opel as
select "Organisation Code" as provider_code, strptime("OPEL Date", '%d/%m/%Y')::date as date,
       arg_max("OPEL Level", strptime(Submitted, '%d/%m/%Y %H:%M:%S')) as declared
from read_csv($opel, all_varchar = true)
group by all;
