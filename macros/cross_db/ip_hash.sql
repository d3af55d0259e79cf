{% macro ip_hash(ip_expr) -%}
  {#- Salted one-way hash (dbt's cross-database md5): distinct clients can be counted, IPs
      cannot be read back. The salt is the ip_salt var (WEBSTATS_IP_SALT). -#}
  {{ dbt.hash(dbt.concat(["'" ~ (var('ip_salt') | replace("'", "''")) ~ "'", ip_expr])) }}
{%- endmacro %}


{% macro ip_salt_guard() -%}
  {#- on-run-start: the IP hash's secret (docs/privacy.md). The development default is
      public, so with it the hashes of the whole IPv4 space can be computed and reversed.
      On PostgreSQL (production) a run with it, or with a secret shorter than 16
      characters, stops before writing anything; elsewhere it only warns. -#}
  {%- set salt = var('ip_salt') | string -%}
  {%- set weak = salt == 'webstats-development-salt' or salt | length < 16 -%}
  {%- if execute and weak -%}
    {%- if target.type == 'postgres' -%}
      {{ exceptions.raise_compiler_error(
          "WEBSTATS_IP_SALT is unset, the public development salt, or shorter than 16 "
          ~ "characters: set a secret of your own before building on PostgreSQL "
          ~ "(docs/privacy.md)") }}
    {%- else -%}
      {{ log("WARNING: WEBSTATS_IP_SALT is unset or weak (the development salt is public: "
          ~ "client IP hashes could be reversed); set a secret in production "
          ~ "(docs/privacy.md)", info=True) }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
