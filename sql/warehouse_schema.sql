-- purpose: create the warehouse's schemas if they do not exist; the tables in them are declared in schemas/catalogue.py
create schema if not exists ref;
create schema if not exists raw;
create schema if not exists ops;
create schema if not exists marts;
create schema if not exists national;
