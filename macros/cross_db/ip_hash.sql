{% macro ip_hash(ip_expr) -%}
  {#- Salted one-way hash (dbt's cross-database md5): distinct clients can be counted, IPs
      cannot be read back. The salt is the ip_salt var (WEBSTATS_IP_SALT). -#}
  {{ dbt.hash(dbt.concat(["'" ~ (var('ip_salt') | replace("'", "''")) ~ "'", ip_expr])) }}
{%- endmacro %}
