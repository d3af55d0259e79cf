{% macro ip_hash(ip_expr, date_expr=none) -%}
  {#- The keyed one-way hash of a client address (docs/privacy.md): distinct clients can be
      counted, addresses cannot be read back, and without the secret (the ip_salt var,
      WEBSTATS_IP_SALT) no address can be hashed to look for it.

      HMAC-SHA-256 (RFC 2104) with the secret as key, lower-case hex, on every engine. In a
      warehouse migrated from the md5 hash of earlier versions, the requests of the years
      before its `ip_hash_scheme.hmac_from` keep the old hash, md5(secret || address), so
      that a year's distinct addresses are always counted with one hash (macros/cross_db/
      ip_hash_scheme.sql); `date_expr` is the request's date, which decides. -#}
  {%- set hmac_from = ip_hash_hmac_from() if date_expr is not none else none -%}
  {%- if hmac_from is none -%}
    {{ ip_hash_hmac(ip_expr) }}
  {%- else -%}
    case when {{ date_expr }} < date '{{ hmac_from }}'
        then {{ ip_hash_md5(ip_expr) }}
        else {{ ip_hash_hmac(ip_expr) }} end
  {%- endif -%}
{%- endmacro %}


{% macro ip_hash_md5(ip_expr) -%}
  {#- The hash of versions before HMAC: md5(secret || address), dbt's cross-database md5
      (lower-case hex). Kept for the years a migration could not re-derive. -#}
  {{ dbt.hash(dbt.concat(["'" ~ (var('ip_salt') | replace("'", "''")) ~ "'", ip_expr])) }}
{%- endmacro %}


{% macro ip_hash_hmac(ip_expr) -%}
  {#- HMAC-SHA-256(key = the secret, message = the address as UTF-8), lower-case hex:
      sha256((K xor opad) || sha256((K xor ipad) || message)), with both padded keys
      computed here (ip_hash_key_pads), so that each engine needs only its plain sha256 of
      bytes (PostgreSQL 11+ without pgcrypto; Athena's would also have hmac_sha256, but the
      same construction keeps the three engines' SQL alike and checkable). -#}
  {%- set pads = ip_hash_key_pads(var('ip_salt') | string) -%}
  {{ return(adapter.dispatch('ip_hash_hmac_sql', 'webstats')(ip_expr, pads[0], pads[1])) }}
{%- endmacro %}


{% macro default__ip_hash_hmac_sql(ip_expr, ipad, opad) -%}
  {#- DuckDB: sha256 of a blob answers lower-case hex text -#}
  sha256(unhex('{{ opad }}') || unhex(sha256(unhex('{{ ipad }}') || encode({{ ip_expr }}))))
{%- endmacro %}


{% macro postgres__ip_hash_hmac_sql(ip_expr, ipad, opad) -%}
  encode(sha256(decode('{{ opad }}', 'hex')
      || sha256(decode('{{ ipad }}', 'hex') || convert_to({{ ip_expr }}, 'UTF8'))), 'hex')
{%- endmacro %}


{% macro athena__ip_hash_hmac_sql(ip_expr, ipad, opad) -%}
  lower(to_hex(sha256(from_hex('{{ opad }}')
      || sha256(from_hex('{{ ipad }}') || to_utf8({{ ip_expr }})))))
{%- endmacro %}


{% macro ip_hash_key_pads(key) -%}
  {#- [K xor ipad, K xor opad] as hex, K the key's UTF-8 bytes zero-padded to SHA-256's
      64-byte block. A longer key would have to be hashed first, which Jinja cannot do:
      ip_salt_guard refuses one. -#}
  {%- set data = key.encode('utf-8') -%}
  {%- if data | length > 64 -%}
    {{ exceptions.raise_compiler_error(
        "WEBSTATS_IP_SALT is longer than 64 bytes: use a shorter secret (docs/privacy.md)") }}
  {%- endif -%}
  {%- set ns = namespace(ipad='', opad='') -%}
  {%- for i in range(64) -%}
    {%- set byte = data[i] if i < data | length else 0 -%}
    {%- set ns.ipad = ns.ipad ~ '%02x' % ip_hash_xor(byte, 54) -%}
    {%- set ns.opad = ns.opad ~ '%02x' % ip_hash_xor(byte, 92) -%}
  {%- endfor -%}
  {{ return([ns.ipad, ns.opad]) }}
{%- endmacro %}


{% macro ip_hash_xor(a, b) -%}
  {#- a xor b for two bytes (Jinja has no bitwise operators) -#}
  {%- set ns = namespace(result=0) -%}
  {%- for bit in range(8) -%}
    {%- set p = 2 ** bit -%}
    {%- if (a // p) % 2 != (b // p) % 2 -%}{%- set ns.result = ns.result + p -%}{%- endif -%}
  {%- endfor -%}
  {{ return(ns.result) }}
{%- endmacro %}


{% macro ip_salt_guard() -%}
  {#- on-run-start: the IP hash's secret (docs/privacy.md). The development default is
      public, so with it the hashes of the whole IPv4 space can be computed and reversed.
      On PostgreSQL (production) a run with it, or with a secret shorter than 16
      characters, stops before writing anything; elsewhere it only warns. A secret longer
      than 64 bytes stops every run (ip_hash_key_pads). -#}
  {%- set salt = var('ip_salt') | string -%}
  {%- set weak = salt == 'webstats-development-salt' or salt | length < 16 -%}
  {%- if execute -%}
    {%- do ip_hash_key_pads(salt) -%}
  {%- endif -%}
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
