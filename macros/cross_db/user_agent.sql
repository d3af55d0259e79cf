{#- What the user agent of a download says about its client (docs/rules.md, "client,
    R version and platform"): the one place these rules live. Each macro takes the SQL
    expression of the user agent as logged; CloudFront logs it URL-encoded (`%20` for a
    space, `%2520` in some older files), which ua_text decodes first. Plain LIKE tests
    where they suffice; one regular expression, for the R version, and only on agents
    that contain `R (`. Real samples and their sources: tests/data/user_agents.csv. -#}

{% macro ua_text(user_agent) -%}
  replace(replace({{ user_agent }}, '%2520', ' '), '%20', ' ')
{%- endmacro %}


{% macro ua_client(ua) -%}
  {#- R, curl, wget, browser or other (never null). R: R's own agent `R (4.3.1 ...)`,
      also after an IDE's prefix (`RStudio Desktop (...); R (...)`) or posit's `R/4.3.1 R
      (...)`; R's libcurl default without HTTPUserAgent (`libcurl/7.47.0`); the R packages
      curl (`r-curl/`), RCurl and httr. Checked before curl and wget, since httr's agent
      may start with `curl/`. A browser: `Mozilla/...` that does not call itself a bot,
      crawler or spider. -#}
  case
    when {{ ua }} is null then 'other'
    when {{ ua }} like '%R (%' and {{ regex_matches(ua, '(^|[ ;/])R [(][0-9]+[.][0-9]+') }} then 'R'
    when {{ ua }} like 'libcurl/%' or {{ ua }} like '%r-curl/%' or lower({{ ua }}) like '%rcurl/%'
      or {{ ua }} like '%httr/%' or {{ ua }} like '%httr2/%' then 'R'
    when lower({{ ua }}) like 'curl/%' then 'curl'
    when lower({{ ua }}) like 'wget/%' then 'wget'
    when {{ ua }} like 'Mozilla/%'
      and lower({{ ua }}) not like '%bot%'
      and lower({{ ua }}) not like '%crawl%'
      and lower({{ ua }}) not like '%spider%' then 'browser'
    else 'other'
  end
{%- endmacro %}


{% macro ua_r_version(ua) -%}
  {#- R's major.minor from R's own agent (`R (4.3.1 ...)` -> `4.3`); null for any other. -#}
  case
    when {{ ua }} like '%R (%'
      then {{ regex_extract(ua, '(?:^|[ ;/])R [(]([0-9]+[.][0-9]+)[.]?[0-9]*[ )]') }}
  end
{%- endmacro %}


{% macro ua_os(ua) -%}
  {#- linux, windows, macos or other (never null; other includes "not said", e.g. curl).
      R names its platform (`linux-gnu`, `mingw32`, `darwin20`); browsers theirs. iOS says
      "like Mac OS X" and Android "Linux": both are other. -#}
  case
    when {{ ua }} is null then 'other'
    when lower({{ ua }}) like '%iphone%' or lower({{ ua }}) like '%ipad%'
      or lower({{ ua }}) like '%android%' then 'other'
    when lower({{ ua }}) like '%mingw32%' or lower({{ ua }}) like '%windows%' then 'windows'
    when lower({{ ua }}) like '%darwin%' or lower({{ ua }}) like '%mac os x%'
      or lower({{ ua }}) like '%macintosh%' then 'macos'
    when lower({{ ua }}) like '%linux%' then 'linux'
    else 'other'
  end
{%- endmacro %}


{% macro ua_arch(ua) -%}
  {#- aarch64, x86_64 or i386 where the agent says it (R's platform triple, a browser's
      `Win64; x64` or `Linux x86_64`); null otherwise (browsers on Macs say "Intel" on
      every CPU, so they say nothing). -#}
  case
    when lower({{ ua }}) like '%aarch64%' or lower({{ ua }}) like '%arm64%' then 'aarch64'
    when lower({{ ua }}) like '%x86_64%' or lower({{ ua }}) like '%x64%'
      or lower({{ ua }}) like '%amd64%' or lower({{ ua }}) like '%wow64%' then 'x86_64'
    when lower({{ ua }}) like '%i386%' or lower({{ ua }}) like '%i686%' then 'i386'
  end
{%- endmacro %}
